"""Data-driven cases: each tests/fixtures/seed/<case>/ is a project with its expected verdict.

``expected.json``: the extra arguments, the exit code, the findings as [rule, path, line]
(sorted), and optionally the per-table counts. Every case runs the embedded check with the
shared ``models.py`` as ``--metadata``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.gates.seed.helpers import seed
from tests.support import FIXTURES

CASES = sorted(p.name for p in (FIXTURES / "seed").iterdir() if (p / "expected.json").is_file())


@pytest.mark.parametrize("case", CASES)
def test_fixture_case(tmp_path: Path, case: str) -> None:
    source = FIXTURES / "seed" / case
    expected = json.loads((source / "expected.json").read_text(encoding="utf-8"))
    root = tmp_path / case
    shutil.copytree(source, root)
    shutil.copy(FIXTURES / "seed" / "models.py", root / "models.py")
    result = seed(root, "--metadata", "models:metadata", *expected["args"])
    assert result.code == expected["code"], result.stdout
    found = sorted([f["rule"], f["path"], f["line"]] for f in result.findings)
    assert found == sorted(expected["findings"])
    if "tables" in expected:
        assert result.verdict is not None
        assert result.verdict["metrics"]["tables"] == expected["tables"]
