"""The demo service's artifacts pass, and a seeded defect in each kind is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import REPO, run_qualgate

GATE = "artifact-validate"
DEMO = REPO / "examples" / "demo-service"


@pytest.fixture()
def demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    keep = ("artifacts", "config", "openapi.yaml", "pyproject.toml")
    target.mkdir()
    for name in keep:
        source = DEMO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    return target


def test_demo_passes(demo: Path) -> None:
    result = run_qualgate(GATE, str(demo))
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    checks = {c["name"]: c["status"] for c in result.verdict["checks"]}
    assert checks == {
        "markdown": "pass",
        "structured": "pass",
        "api-contract": "pass",
        "verdict-files": "skipped",
    }
    assert result.verdict["metrics"]["artifacts_by_type"] == {"adr": 1, "rfc": 1}


def test_demo_defects_are_caught(demo: Path) -> None:
    rfc = demo / "artifacts" / "rfc" / "0001-stock-reservations.md"
    rfc.write_text(rfc.read_text().replace("status: proposed", "status: maybe"))
    settings = demo / "config" / "settings.yaml"
    settings.write_text(settings.read_text().replace("port: 8000", "port: eighty"))
    adr = demo / "artifacts" / "adr" / "0001-use-sqlalchemy.md"
    adr.write_text(adr.read_text().replace("#design)", "#nowhere)"))
    result = run_qualgate(GATE, str(demo))
    assert result.code == 1
    got = sorted((f["rule"], f["path"], f["line"]) for f in result.findings)
    assert got == [
        ("broken-anchor", "artifacts/adr/0001-use-sqlalchemy.md", 32),
        ("file-schema", "config/settings.yaml", 4),
        ("front-matter-schema", "artifacts/rfc/0001-stock-reservations.md", 4),
    ]
