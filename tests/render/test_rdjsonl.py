"""reviewdog rdjsonl: one valid Diagnostic per line, shaped as reviewdog reads the stream."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from qualgate.render import rdjsonl
from qualgate.render import render as render_format
from qualgate.verdict import Finding, Project, Severity, Status, Verdict
from tests.render import samples
from tests.support import write_files

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[1] / "ci" / "schemas" / "reviewdog-diagnostic.json"
    ).read_text(encoding="utf-8")
)
# reviewdog reads rdjsonl with Go's bufio.Scanner: a token longer than this stops it silently.
SCANNER_LIMIT = 64 * 1024


def render(verdict: Verdict) -> list[dict[str, Any]]:
    """Render through the registry and check every line as reviewdog's parser would."""
    text = render_format("rdjsonl", verdict)
    assert text == "" or text.endswith("\n")
    validator = jsonschema.Draft4Validator(SCHEMA)
    out = []
    for line in text.splitlines():
        assert line.strip(), "an empty line is a parse error in reviewdog"
        assert len(line.encode("utf-8")) < SCANNER_LIMIT
        diagnostic = json.loads(line)
        errors = list(validator.iter_errors(diagnostic))
        assert not errors, [e.message for e in errors]
        # What the protobuf message needs beyond the schema: 1-based positions, a path.
        assert diagnostic["location"]["path"]
        span = diagnostic["location"].get("range")
        if span is not None:
            for position in (span["start"], span.get("end", span["start"])):
                assert position["line"] >= 1 and position.get("column", 1) >= 1
        out.append(diagnostic)
    return out


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("sample", sorted(samples.SAMPLES))
def test_every_sample_is_valid_rdjsonl(sample: str) -> None:
    render(samples.SAMPLES[sample]())


def test_nothing_to_report_is_empty_output() -> None:
    assert render_format("rdjsonl", samples.passing()) == ""
    assert render_format("rdjsonl", samples.skipped()) == ""


def test_diagnostics_field_by_field() -> None:
    verdict = samples.failing()
    diagnostics = render(verdict)
    findings = [d for d in diagnostics if d["code"]["value"] not in ("check-failed", "threshold")]
    assert len(findings) == 120
    first = findings[0]
    assert first == {
        "message": "`os` imported but unused (0)",
        "location": {
            "path": "src/app/m0.py",
            "range": {"start": {"line": 1, "column": 8}, "end": {"line": 1, "column": 10}},
        },
        "severity": "ERROR",
        "source": {"name": "qualgate lint-format", "url": "https://qualgate.dev"},
        "code": {"value": "F401", "url": "https://docs.astral.sh/ruff/rules/unused-import"},
    }
    severities = {d["severity"] for d in findings}
    assert severities == {"ERROR", "WARNING", "INFO"}
    # Line only: no column invented; path only: no range; no path: the build file.
    typed = next(d for d in findings if d["code"]["value"] == "arg-type")
    assert typed["location"]["range"] == {
        "start": {"line": typed["location"]["range"]["start"]["line"]}
    }
    assert "url" not in typed["code"]  # its help is prose, not a URL
    formatted = next(d for d in findings if d["code"]["value"] == "format")
    assert "range" not in formatted["location"]
    project_level = next(d for d in findings if d["code"]["value"] == "no-config")
    assert project_level["location"] == {"path": "pyproject.toml"}
    # An end before the start is dropped, not sent as an inverted range.
    inverted = next(d for d in findings if d["code"]["value"] == "B006")
    assert set(inverted["location"]["range"]) == {"start"}


def test_verdict_level_problems_are_diagnostics() -> None:
    diagnostics = render(samples.error())
    assert diagnostics == [
        {
            "message": "qualgate migration-check: alembic is not installed in the project "
            "interpreter (pip install alembic)",
            "location": {"path": "pyproject.toml"},
            "severity": "ERROR",
            "source": {"name": "qualgate migration-check", "url": "https://qualgate.dev"},
            "code": {"value": "gate-error"},
        }
    ]
    threshold = [d for d in render(samples.threshold_only()) if d["code"]["value"] == "threshold"]
    assert threshold[0]["message"] == "qualgate run-tests: coverage.total is unknown, wanted >= 80"


def test_columns_are_utf8_bytes_and_paths_are_relative_to_the_working_directory(
    tmp_path: Path,
) -> None:
    project = write_files(
        tmp_path / "services" / "api",
        {"app.py": 'x = "ünï" + y\nplain = 1\n', "pyproject.toml": "[project]\n"},
    )
    findings = (
        # `y` is code point 13 of line 1; in UTF-8 bytes it is column 15 (ü, ï: 2 bytes each).
        Finding(
            rule="F821",
            severity=Severity.ERROR,
            message="undefined name `y`",
            path="app.py",
            line=1,
            column=13,
            end_line=1,
            end_column=14,
        ),
        Finding(rule="E1", severity=Severity.WARNING, message="m", path="app.py", line=2, column=7),
        Finding(rule="no-config", severity=Severity.NOTE, message="project-level"),
    )
    verdict = samples.minimal().replace(
        status=Status.FAIL, findings=findings, project=Project(root=os.path.relpath(project))
    )
    diagnostics = render(verdict)
    assert diagnostics[0]["location"] == {
        "path": "services/api/app.py",
        "range": {"start": {"line": 1, "column": 15}, "end": {"line": 1, "column": 16}},
    }
    assert diagnostics[1]["location"]["range"] == {"start": {"line": 2, "column": 7}}
    assert diagnostics[2]["location"] == {"path": "services/api/pyproject.toml"}


def test_files_outside_the_project_are_never_read(tmp_path: Path) -> None:
    write_files(tmp_path, {"secret.py": "ü" * 40 + "\n", "proj/pyproject.toml": ""})
    finding = Finding(
        rule="R", severity=Severity.ERROR, message="m", path="../secret.py", line=1, column=30
    )
    verdict = samples.minimal().replace(findings=(finding,), project=Project(root="proj"))
    assert render(verdict)[0]["location"]["range"]["start"]["column"] == 30  # not converted


def test_a_huge_message_is_cut_below_reviewdogs_buffer() -> None:
    huge = "é" * 50_000 + "\x01" * 20_000 + "##[" * 5_000
    finding = Finding(rule="R", severity=Severity.ERROR, message=huge, path="a.py", line=1)
    (diagnostic,) = render(samples.minimal().replace(findings=(finding,)))
    assert diagnostic["message"].endswith("[... cut: see the JSON verdict for the whole message]")
    assert diagnostic["message"].startswith("é" * 100)
    small = Finding(rule="R", severity=Severity.ERROR, message="short", path="a.py", line=1)
    (kept,) = render(samples.minimal().replace(findings=(small,)))
    assert kept["message"] == "short"


def test_a_combined_verdict_names_the_gate_of_each_finding() -> None:
    findings = (
        Finding(
            rule="F1", severity=Severity.ERROR, message="m", path="a.py", check="lint-format/ruff"
        ),
        Finding(rule="F2", severity=Severity.ERROR, message="m", path="a.py"),
    )
    diagnostics = render(samples.minimal().replace(status=Status.FAIL, findings=findings))
    assert [d["source"]["name"] for d in diagnostics] == ["qualgate lint-format", "qualgate all"]


def test_hostile_text_stays_inert() -> None:
    text = render_format("rdjsonl", samples.hostile())
    assert "##[" not in text
    assert all(line.startswith("{") for line in text.splitlines())
    assert rdjsonl.render(samples.hostile()).count("\n") == len(text.splitlines())
