"""The fixture projects under tests/fixtures/deps: each one's verdict matches its expected.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import FIXTURES, copy_fixture, git_init, run_qualgate

PROJECTS = sorted(p.name for p in (FIXTURES / "deps").iterdir() if p.is_dir())


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_project(name: str, tmp_path: Path) -> None:
    project = copy_fixture(f"deps/{name}", tmp_path)
    expected = json.loads((project / "expected.json").read_text(encoding="utf-8"))
    if expected.get("repository"):
        git_init(project)  # a workspace: the lock is found up to the repository's root
    target = project / expected.get("scan", ".")
    run = run_qualgate("dependency-scan", str(target), "--cache-dir", str(tmp_path / "cache"))
    assert run.verdict is not None, run.stdout
    assert run.verdict["status"] == expected["status"], run.verdict["summary"]
    got = [
        [f["rule"], f["severity"], f.get("path"), f.get("line"), f.get("data", {}).get("id")]
        for f in run.findings
    ]
    assert got == expected["findings"]
    assert run.verdict["next_steps"] == expected["next_steps"]


def test_every_fixture_has_an_expectation() -> None:
    assert len(PROJECTS) >= 4
    for name in PROJECTS:
        assert (FIXTURES / "deps" / name / "expected.json").is_file(), name
