"""GitLab Code Quality: valid Code Climate issues that GitLab's own validator keeps, every one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from qualgate.render import gitlab
from qualgate.render import render as render_format
from qualgate.verdict import Finding, Project, Severity, Status, Threshold, Verdict
from tests.render import samples
from tests.support import git_init, write_files

SCHEMAS = Path(__file__).resolve().parents[1] / "ci" / "schemas"
REPORT_SCHEMA = json.loads((SCHEMAS / "codeclimate-report.json").read_text(encoding="utf-8"))
GITLAB_SCHEMA = json.loads((SCHEMAS / "gitlab-codeclimate.json").read_text(encoding="utf-8"))


def render(verdict: Verdict) -> list[dict[str, Any]]:
    """Render through the registry (as `--format gitlab` does) and validate the report."""
    report: list[dict[str, Any]] = json.loads(render_format("gitlab", verdict))
    validator = jsonschema.Draft202012Validator(REPORT_SCHEMA)
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    # GitLab's parser stops at the first issue its validator refuses, and keeps one issue
    # per fingerprint: every issue must pass, and fingerprints must be unique.
    gitlab_validator = jsonschema.Draft7Validator(GITLAB_SCHEMA)
    for issue in report:
        assert gitlab_validator.is_valid(issue), issue
    fingerprints = [i["fingerprint"] for i in report]
    assert len(set(fingerprints)) == len(fingerprints)
    return report


@pytest.fixture(autouse=True)
def _outside_any_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("sample", sorted(samples.SAMPLES))
def test_every_sample_is_a_valid_report(sample: str) -> None:
    render(samples.SAMPLES[sample]())


def test_a_passing_verdict_is_an_empty_report() -> None:
    assert render_format("gitlab", samples.passing()) == "[]\n"
    assert render(samples.existing_only()) != []  # existing findings stay: GitLab compares


def test_findings_field_by_field() -> None:
    verdict = samples.failing()
    report = render(verdict)
    problems = [i for i in report if i["check_name"].startswith("lint-format/check-")]
    issues = [i for i in report if i not in problems and "threshold" not in i["check_name"]]
    assert len(issues) == len(verdict.findings) == 120
    by_fingerprint = {f"{f.fingerprint}".removeprefix("sha256:"): f for f in verdict.findings}
    for issue in issues:
        finding = by_fingerprint[issue["fingerprint"]]
        assert issue["check_name"] == f"lint-format/{finding.rule}"
        assert issue["description"] == " ".join(finding.message.split())
        assert (
            issue["severity"]
            == {"error": "major", "warning": "minor", "note": "info"}[finding.severity.value]
        )
        location = issue["location"]
        assert location["path"] == (finding.path or "pyproject.toml")
        assert location["lines"]["begin"] == (finding.line if finding.path and finding.line else 1)
        assert issue["categories"] == ["Bug Risk"]
        assert issue["type"] == "issue"
    # Blocking findings first, as in every format.
    assert issues[0]["severity"] == "major"
    first = next(i for i in issues if i["check_name"] == "lint-format/F401")
    assert first["location"] == {"path": "src/app/m0.py", "lines": {"begin": 1}}
    # A span over several lines keeps its end; an end before the start is dropped.
    spans = [i["location"]["lines"] for i in issues if i["check_name"] == "lint-format/B006"]
    assert all("end" not in s for s in spans)


def test_what_decides_the_status_without_a_finding_is_an_issue() -> None:
    report = render(samples.failing())
    names = [i["check_name"] for i in report]
    # The `format` check failed with no blocking finding of its own; a threshold failed.
    assert "lint-format/check-failed" in names
    threshold = next(i for i in report if i["check_name"] == "lint-format/threshold")
    assert threshold["description"] == "qualgate lint-format: coverage.total is 83.2, wanted >= 85"
    assert threshold["severity"] == "major"
    assert threshold["location"] == {"path": "pyproject.toml", "lines": {"begin": 1}}


def test_an_error_verdict_is_never_an_empty_clean_report() -> None:
    report = render(samples.error())
    assert [i["check_name"] for i in report] == ["migration-check/gate-error"]
    assert report[0]["severity"] == "critical"
    assert report[0]["description"] == (
        "qualgate migration-check: alembic is not installed in the project interpreter "
        "(pip install alembic)"
    )
    errored = render(samples.error_with_checks())
    assert [i["check_name"] for i in errored][:2] == [
        "run-tests/gate-error",
        "run-tests/check-error",
    ]


def test_paths_are_relative_to_the_repository_root(tmp_path: Path) -> None:
    repo = write_files(tmp_path / "repo", {"services/api/pyproject.toml": "[project]\n"})
    git_init(repo)
    findings = (
        Finding(rule="F1", severity=Severity.ERROR, message="m", path="app.py", line=3),
        Finding(rule="no-config", severity=Severity.WARNING, message="no config"),
    )
    verdict = samples.minimal().replace(
        status=Status.FAIL,
        findings=findings,
        project=Project(root=os.path.relpath(repo / "services" / "api")),
    )
    report = render(verdict)
    assert [i["location"]["path"] for i in report] == [
        "services/api/app.py",
        "services/api/pyproject.toml",
    ]


def test_security_findings_are_ranked_by_their_score() -> None:
    def vuln(advisory: str, **data: Any) -> Finding:
        return Finding(
            rule="vulnerable-dependency",
            severity=Severity.ERROR,
            message=f"pkg 1.0 is affected by {advisory}",
            path="requirements.txt",
            line=1,
            check="vulnerabilities",
            data={"id": advisory, **data},
        )

    verdict = Verdict(
        gate="dependency-scan",
        status=Status.FAIL,
        summary="3 vulnerable",
        findings=(
            vuln("GHSA-crit", score=9.8, severity="critical"),
            vuln("GHSA-high", score=None, severity="high"),
            vuln("GHSA-low", score=3.1, severity="low"),
            vuln("GHSA-unknown", score=None, severity="unknown"),
        ),
        project=Project(root="."),
    )
    report = render(verdict)
    assert [(i["severity"], i["categories"]) for i in report] == [
        ("blocker", ["Security"]),
        ("critical", ["Security"]),
        ("minor", ["Security"]),
        ("major", ["Bug Risk"]),  # no score known: ranked by its level, as any finding
    ]
    secret = Finding(rule="S105", severity=Severity.ERROR, message="password", path="a.py", line=2)
    lint = samples.minimal().replace(gate="lint-format", status=Status.FAIL, findings=(secret,))
    assert render(lint)[0]["severity"] == "critical"


def test_fingerprints_are_unique_even_when_findings_share_one() -> None:
    twin = Finding(
        rule="R", severity=Severity.ERROR, message="m", path="a.py", line=1, fingerprint="sha256:ab"
    )
    unfingerprinted = Finding(rule="R", severity=Severity.NOTE, message="m")
    verdict = samples.minimal().replace(findings=(twin, twin, unfingerprinted, unfingerprinted))
    report = render(verdict)
    assert report[0]["fingerprint"] == "ab"
    assert len({i["fingerprint"] for i in report}) == 4
    # Stable: the same verdict gives the same fingerprints.
    assert [i["fingerprint"] for i in render(verdict)] == [i["fingerprint"] for i in report]


def test_hostile_text_stays_one_line_and_inert() -> None:
    verdict = samples.hostile()
    text = render_format("gitlab", verdict)
    assert "##[" not in text
    for issue in render(verdict):
        assert "\n" not in issue["description"] and "\r" not in issue["description"]
    thresholds = samples.minimal().replace(
        status=Status.FAIL, thresholds=(Threshold(name="a", actual=None, ok=False),)
    )
    assert render(thresholds)[0]["description"] == "qualgate all: a is unknown, wanted a value"


def test_the_module_renders_what_the_registry_renders() -> None:
    assert json.loads(gitlab.render(samples.failing())) == json.loads(
        render_format("gitlab", samples.failing())
    )


def test_a_combined_verdict_names_each_gate_and_does_not_repeat_what_findings_say() -> None:
    from qualgate.verdict import Check

    verdict = samples.minimal().replace(
        status=Status.ERROR,
        summary="3 gates: 1 error (openapi-lint); 2 fail (lint-format, run-tests)",
        checks=(
            Check(name="lint-format", status=Status.FAIL, summary="1 error"),
            Check(name="openapi-lint", status=Status.ERROR, summary="cannot import app.main"),
            Check(name="run-tests", status=Status.FAIL, summary="coverage 70% < 80%"),
        ),
        findings=(
            Finding(
                rule="F401",
                severity=Severity.ERROR,
                message="unused",
                path="a.py",
                line=1,
                check="lint-format/ruff-check",
            ),
        ),
        thresholds=(Threshold(name="run-tests:coverage.total", min=80, actual=70, ok=False),),
    )
    names = [(i["check_name"], i["description"]) for i in render(verdict)]
    assert names == [
        (
            "openapi-lint/gate-error",
            "qualgate openapi-lint: openapi-lint could not check: cannot import app.main",
        ),
        ("run-tests/check-failed", "qualgate run-tests: run-tests failed: coverage 70% < 80%"),
        ("run-tests/threshold", "qualgate run-tests: run-tests:coverage.total is 70, wanted >= 80"),
        ("lint-format/F401", "unused"),
    ]
