"""artifact-validate's api-contract check: OpenAPI documents through openapi-lint's validation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import run_qualgate, write_files

GATE = "artifact-validate"

GOOD = """openapi: 3.1.0
info:
  title: Demo
  version: 1.0.0
paths:
  /items:
    get:
      operationId: listItems
      responses:
        "200":
          description: OK
"""

BROKEN = """openapi: 3.1.0
info:
  title: Demo
paths:
  /items:
    get:
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Missing"
"""


def project(root: Path) -> Path:
    return write_files(
        root,
        {
            "pyproject.toml": (
                '[tool.qualgate.artifact-validate]\napi-contract = ["contracts/*.yaml"]\n'
            ),
            "contracts/good.yaml": GOOD,
            "contracts/broken.yaml": BROKEN,
        },
    )


def test_broken_contract_fails_with_located_errors(tmp_path: Path) -> None:
    project(tmp_path)
    result = run_qualgate(GATE, str(tmp_path), "--no-verdict-files")
    assert result.code == 1
    errors = {
        (f["rule"], f["path"], f["line"]) for f in result.findings if f["severity"] == "error"
    }
    assert errors == {
        ("oas-structure", "contracts/broken.yaml", 2),  # info has no version
        ("ref-unresolved", "contracts/broken.yaml", 13),
    }
    assert all(f["check"] == "api-contract" for f in result.findings)
    assert result.verdict is not None
    assert result.verdict["metrics"]["api_contracts"] == 2


def test_valid_contract_passes_and_glob_without_match_fails(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "contracts" / "broken.yaml").unlink()
    result = run_qualgate(GATE, str(tmp_path), "--no-verdict-files")
    assert result.code == 0, result.stdout
    assert not [f for f in result.findings if f["severity"] == "error"]
    result = run_qualgate(GATE, str(tmp_path), "--no-verdict-files", "--api-contract", "api/*.json")
    assert result.code == 1
    assert [f["rule"] for f in result.findings] == ["glob-no-match"]


def test_openapi_validation_unavailable_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    monkeypatch.setitem(sys.modules, "qualgate.gates.openapi_lint.api", None)
    result = run_qualgate(GATE, str(tmp_path), "--no-verdict-files")
    assert result.code == 2
    assert result.verdict is not None
    assert "openapi-lint's validation" in result.verdict["summary"]
