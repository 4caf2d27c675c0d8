"""The verdict model: statuses, round trip, schema, fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualgate.fingerprint import add_fingerprints
from qualgate.verdict import (
    Check,
    Finding,
    Project,
    Severity,
    Status,
    Threshold,
    Tool,
    Verdict,
    derive_status,
    findings_summary,
    from_dict,
    plural,
    to_dict,
    to_json,
    validate_document,
)
from tests.support import assert_valid_verdict


def full_verdict() -> Verdict:
    return Verdict(
        gate="lint-format",
        status=Status.FAIL,
        summary="2 findings",
        tool=Tool(version="0.1.0"),
        started_at="2026-11-22T10:00:00.123Z",
        duration_ms=812,
        project=Project(root=".", commit="abc", dirty=True, base="main"),
        checks=(
            Check(
                name="ruff-check",
                status=Status.FAIL,
                duration_ms=90,
                command=("ruff", "check"),
                tool_version="0.6.0",
                findings=1,
                summary="1 finding",
            ),
            Check(name="mypy", status=Status.PASS),
        ),
        metrics={"files_checked": 41, "nested": {"a": [1, 2]}},
        thresholds=(
            Threshold(name="coverage.total", min=80, actual=83.2, ok=True),
            Threshold(name="duration", max=10, actual=None, ok=False),
        ),
        findings=(
            Finding(
                rule="F401",
                severity=Severity.ERROR,
                message="`os` imported but unused",
                path="src/app/x.py",
                line=3,
                column=8,
                end_line=3,
                end_column=10,
                check="ruff-check",
                fixable=True,
                fingerprint="sha256:" + "a" * 64,
                help="https://docs.astral.sh/ruff/rules/unused-import",
                existing=True,
                data={"standard": "imports"},
            ),
            Finding(rule="X", severity=Severity.NOTE, message="no location"),
        ),
        next_steps=("run the fixer",),
        reproduce="qualgate lint-format .",
    )


def test_round_trip_is_lossless_and_valid() -> None:
    verdict = full_verdict()
    document = to_dict(verdict)
    assert_valid_verdict(document)
    assert from_dict(document) == verdict
    assert from_dict(json.loads(to_json(verdict))) == verdict


def test_schema_rejects_what_the_contract_forbids() -> None:
    document = to_dict(full_verdict())
    bad = dict(document, status="passed")
    assert any("status" in e for e in validate_document(bad))
    missing = {k: v for k, v in document.items() if k != "summary"}
    assert validate_document(missing)
    absolute = json.loads(json.dumps(document))
    absolute["findings"][0]["path"] = "/etc/passwd"
    assert any("findings/0/path" in e for e in validate_document(absolute))
    backslash = json.loads(json.dumps(document))
    backslash["findings"][0]["path"] = "src\\x.py"
    assert validate_document(backslash)
    zero_line = json.loads(json.dumps(document))
    zero_line["findings"][0]["line"] = 0
    assert validate_document(zero_line)
    extra = dict(document, surprise=1)
    assert validate_document(extra)


@pytest.mark.parametrize(
    ("status", "code"),
    [(Status.PASS, 0), (Status.SKIPPED, 0), (Status.FAIL, 1), (Status.ERROR, 2)],
)
def test_exit_codes(status: Status, code: int) -> None:
    assert status.exit_code == code
    assert Verdict(gate="g", status=status, summary="s").exit_code == code


def test_derive_status() -> None:
    error = Finding(rule="r", severity=Severity.ERROR, message="m")
    warning = Finding(rule="r", severity=Severity.WARNING, message="m")
    existing = Finding(rule="r", severity=Severity.ERROR, message="m", existing=True)
    assert derive_status() is Status.PASS
    assert derive_status(findings=[warning, existing]) is Status.PASS
    assert derive_status(findings=[error]) is Status.FAIL
    assert derive_status(thresholds=[Threshold(name="t", actual=1, ok=False)]) is Status.FAIL
    assert derive_status(checks=[Check(name="c", status=Status.FAIL)]) is Status.FAIL
    assert (
        derive_status(checks=[Check(name="c", status=Status.ERROR)], findings=[error])
        is Status.ERROR
    )
    assert derive_status(checks=[Check(name="c", status=Status.SKIPPED)]) is Status.SKIPPED


def test_summaries() -> None:
    assert plural(1, "file") == "1 file"
    assert plural(2, "file") == "2 files"
    assert plural(2, "index", "indices") == "2 indices"
    assert findings_summary([]) == "no findings"
    findings = [
        Finding(rule="r", severity=Severity.ERROR, message="m", path="a.py"),
        Finding(rule="r", severity=Severity.ERROR, message="m", path="b.py"),
        Finding(rule="r", severity=Severity.WARNING, message="m", path="a.py"),
    ]
    assert findings_summary(findings) == "2 errors, 1 warning in 2 files"


def _finding(line: int, rule: str = "F401") -> Finding:
    return Finding(rule=rule, severity=Severity.ERROR, message=f"at {line}", path="m.py", line=line)


def test_fingerprints_survive_code_moving(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import os\nx = 1\n", encoding="utf-8")
    first = add_fingerprints("lint-format", [_finding(1)], tmp_path)[0].fingerprint
    (tmp_path / "m.py").write_text("# header\n\nimport   os\nx = 1\n", encoding="utf-8")
    moved = add_fingerprints("lint-format", [_finding(3)], tmp_path)[0].fingerprint
    assert first == moved
    assert first is not None and first.startswith("sha256:")
    (tmp_path / "m.py").write_text("import sys\nx = 1\n", encoding="utf-8")
    changed = add_fingerprints("lint-format", [_finding(1)], tmp_path)[0].fingerprint
    assert changed != first


def test_fingerprints_distinguish_duplicates_and_keep_given_ones(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import os, sys\n", encoding="utf-8")
    given = Finding(rule="X", severity=Severity.NOTE, message="m", fingerprint="sha256:given")
    a, b, c, d = add_fingerprints("g", [_finding(1), _finding(1), given, _finding(99)], tmp_path)
    assert a.fingerprint != b.fingerprint
    assert c.fingerprint == "sha256:given"
    assert d.fingerprint is not None  # line past the end of the file still gets one
    no_file = Finding(rule="X", severity=Severity.NOTE, message="m", path="gone.py", line=1)
    assert add_fingerprints("g", [no_file], tmp_path)[0].fingerprint
