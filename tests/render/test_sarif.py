"""SARIF output: valid against the official 2.1.0 schema, shaped as GitHub code scanning wants."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from qualgate.render import sarif
from qualgate.verdict import Finding, Project, Severity, Status, Verdict
from tests.render import samples
from tests.support import FIXTURES, git_init, write_files

SCHEMA = json.loads((FIXTURES / "render" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
# RFC 3986 URI-reference characters (jsonschema checks "uri-reference" only with rfc3987
# installed, so the test checks it itself): unreserved, sub-delims, ':', '@', '/', pct-encoded.
_URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})+$")


def render(verdict: Verdict) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sarif.render(verdict))
    validator = jsonschema.Draft4Validator(
        SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    for run in document["runs"]:
        for result in run["results"]:
            # GitHub refuses the whole upload when one result lacks an artifact URI.
            assert len(result["locations"]) == 1
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert _URI_REFERENCE.match(uri), uri
            assert not uri.startswith("/")
    return document


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Samples have project root "."; render them from a folder outside any repository."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("sample", sorted(samples.SAMPLES))
def test_every_sample_is_valid_sarif(sample: str) -> None:
    document = render(samples.SAMPLES[sample]())
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(document["runs"]) == 1


def test_driver_rules_and_results_field_by_field(tmp_path: Path) -> None:
    verdict = samples.failing()
    run = render(verdict)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "qualgate"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"] == "https://qualgate.dev"
    assert run["automationDetails"] == {"id": "qualgate/lint-format/"}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}

    rules = {r["id"]: r for r in driver["rules"]}
    assert list(rules) == ["F401", "arg-type", "format", "no-config", "E501", "B006"]
    f401 = rules["F401"]
    assert f401["name"] == "UnusedImport"
    assert f401["helpUri"] == "https://docs.astral.sh/ruff/rules/unused-import"
    assert f401["shortDescription"]["text"] == "`os` imported but unused (0)"
    assert "https://docs.astral.sh/ruff/rules/unused-import" in f401["help"]["text"]
    assert f401["defaultConfiguration"]["level"] == "error"
    assert "helpUri" not in rules["arg-type"]
    assert rules["arg-type"]["help"]["text"] == "pass the right type"
    assert rules["no-config"]["shortDescription"]["text"] == (
        "Project has no type-checker configuration"
    )
    assert rules["E501"]["defaultConfiguration"]["level"] == "note"
    # Names are PascalCase and never just repeat the id (SARIF1001).
    assert rules["E501"]["name"] == "MypyE501"
    assert rules["format"]["name"] == "MypyFormat"
    assert rules["arg-type"]["name"] == "ArgType"

    results = run["results"]
    assert len(results) == len(verdict.findings) == 120
    for result, finding in zip(results, verdict.findings, strict=True):
        assert result["ruleId"] == finding.rule
        assert driver["rules"][result["ruleIndex"]]["id"] == finding.rule
        assert result["level"] == finding.severity.value
        assert result["message"]["text"] == finding.message
        assert finding.fingerprint is not None
        assert result["partialFingerprints"] == {"qualgate/v1": finding.fingerprint[7:]}
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        # The sample's project has a base: new findings are "new", old ones "unchanged".
        assert result["baselineState"] == ("unchanged" if finding.existing else "new")
        assert result["properties"]["existing"] is finding.existing

    first = results[0]["locations"][0]["physicalLocation"]
    assert first == {
        "artifactLocation": {"uri": "src/app/m0.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "endLine": 1, "startColumn": 8, "endColumn": 10},
    }
    # Path only: no region at all.
    assert "region" not in results[2]["locations"][0]["physicalLocation"]
    # Line only: no columns invented.
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 4}
    # End before start is dropped rather than emitted as an invalid region.
    assert results[5]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 15,
        "startColumn": 20,
    }


def test_project_level_finding_is_anchored_at_the_build_file(tmp_path: Path) -> None:
    project = write_files(tmp_path / "proj", {"setup.cfg": "[metadata]\n"})
    finding = Finding(rule="no-config", severity=Severity.ERROR, message="no mypy config")
    verdict = samples.minimal().replace(
        status=Status.FAIL, findings=(finding,), project=Project(root=os.path.relpath(project))
    )
    result = render(verdict)["runs"][0]["results"][0]
    location = result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "setup.cfg", "uriBaseId": "%SRCROOT%"}}
    assert result["properties"]["projectLevel"] is True
    assert "partialFingerprints" not in result  # none given: GitHub computes its own
    assert "baselineState" not in result  # no --base, no baseline comparison

    (project / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    result = render(verdict)["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pyproject.toml"


def test_monorepo_paths_are_relative_to_the_repository_root(tmp_path: Path) -> None:
    repo = write_files(tmp_path / "repo", {"services/api/app.py": "x = 1\n", "README.md": "r\n"})
    git_init(repo)
    finding = Finding(
        rule="F1", severity=Severity.ERROR, message="m", path="app.py", line=1, check="c"
    )
    verdict = samples.minimal().replace(
        status=Status.FAIL,
        findings=(finding,),
        project=Project(root=os.path.relpath(repo / "services" / "api")),
    )
    run = render(verdict)["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "services/api/app.py"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"


def test_paths_are_percent_encoded_uris() -> None:
    run = render(samples.hostile())["runs"][0]
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    ]
    assert uris[0] == "docs/my%20file%20%231%20100%25,a:b%7Cc%3Cd%3E&%60.md"
    assert uris[2] == "%C3%BC/%C3%B1.yaml"
    # The rule whose help is a URL with spaces keeps it as text, not as an invalid helpUri.
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "helpUri" not in rules["no-path"]


def test_error_verdict_reports_an_unsuccessful_execution() -> None:
    run = render(samples.error())["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 2
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "error",
            "message": {
                "text": "alembic is not installed in the project interpreter\npip install alembic"
            },
        }
    ]
    assert invocation["startTimeUtc"] == "2026-11-22T10:00:00.250000Z"
    assert invocation["endTimeUtc"] == "2026-11-22T10:00:01.484000Z"
    assert invocation["commandLine"] == "qualgate sample ."
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []


def test_errored_check_and_skip_become_notifications() -> None:
    invocation = render(samples.error_with_checks())["runs"][0]["invocations"][0]
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert texts == ["pytest timed out after 600 s\nraise --timeout", "pytest: timed out"]
    skipped = render(samples.skipped())["runs"][0]["invocations"][0]
    assert skipped["executionSuccessful"] is True
    assert skipped["toolExecutionNotifications"][0]["level"] == "note"
    passing = render(samples.passing())["runs"][0]["invocations"][0]
    assert passing["executionSuccessful"] is True
    assert "toolExecutionNotifications" not in passing
    assert passing["properties"]["thresholds"] == [
        {"name": "coverage.total", "actual": 83.2, "ok": True, "min": 80}
    ]


def test_existing_findings_keep_their_level_and_are_marked_unchanged() -> None:
    finding = Finding(
        rule="W1", severity=Severity.WARNING, message="m", path="a.py", line=1, existing=True
    )
    run = render(samples.minimal().replace(findings=(finding,)))["runs"][0]
    result = run["results"][0]
    assert result["level"] == "warning"
    assert result["baselineState"] == "unchanged"
    assert result["properties"]["existing"] is True


def test_results_beyond_githubs_limit_are_dropped_with_a_notification(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 10)
    run = render(samples.failing())["runs"][0]
    assert len(run["results"]) == 10
    # Blocking findings are kept first.
    assert {r["level"] for r in run["results"]} == {"error"}
    note = run["invocations"][0]["toolExecutionNotifications"][-1]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith("110 results were left out")


def test_start_time_without_fraction_and_unparsable_start_time() -> None:
    whole = render(samples.minimal().replace(started_at="2026-11-22T10:00:00Z", duration_ms=5))
    assert whole["runs"][0]["invocations"][0]["endTimeUtc"] == "2026-11-22T10:00:00.005000Z"
    odd = sarif.to_sarif(samples.minimal().replace(started_at="yesterday"))
    assert "startTimeUtc" not in odd["runs"][0]["invocations"][0]


@pytest.mark.parametrize(
    ("help_url", "name"),
    [
        ("https://docs.astral.sh/ruff/rules/unused-import/", "UnusedImport"),
        ("https://example.com/rules/no_bare_except.html", "NoBareExcept"),
        ("https://example.com/r?x=1", "R"),
        (None, "QualgateF401"),
    ],
)
def test_rule_names(help_url: str | None, name: str) -> None:
    assert sarif._rule_name("F401", help_url) == name
    assert sarif._rule_name("no-config", None, "mypy") == "NoConfig"
    assert sarif._rule_name("f401", None, "ruff-check") == "RuffCheckF401"


def test_uri_encoding() -> None:
    assert sarif.uri("a b/c#d?e%f") == "a%20b/c%23d%3Fe%25f"
    assert sarif.uri("src/app_x-1.py") == "src/app_x-1.py"


def test_project_root_that_is_not_here_keeps_project_paths() -> None:
    finding = Finding(rule="F1", severity=Severity.ERROR, message="m", path="a b.py", line=1)
    verdict = samples.minimal().replace(findings=(finding,), project=Project(root="no/such/folder"))
    run = render(verdict)["runs"][0]
    assert "originalUriBaseIds" not in run
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "a%20b.py"


def _vulnerable(advisory: str, check: str = "vulnerabilities", **data: object) -> Finding:
    return Finding(
        rule="vulnerable-dependency",
        severity=Severity.ERROR,
        message=f"pkg 1.0 is affected by {advisory}",
        path="requirements.txt",
        line=3,
        check=check,
        help=f"https://osv.dev/vulnerability/{advisory}",
        data={"package": "pkg", "id": advisory, "summary": f"{advisory} summary", **data},
    )


def test_each_advisory_is_a_security_rule_ranked_by_its_score() -> None:
    verdict = samples.minimal().replace(
        gate="dependency-scan",
        status=Status.FAIL,
        findings=(
            _vulnerable("GHSA-aaaa", score=9.8, severity="critical"),
            _vulnerable("GHSA-bbbb", score=None, severity="high"),
            _vulnerable("GHSA-aaaa", score=9.8, severity="critical"),
            _vulnerable("PYSEC-1", score=None, severity="unknown"),
            Finding(
                rule="unpinned-dependency", severity=Severity.WARNING, message="x", path="r.txt"
            ),
        ),
    )
    run = render(verdict)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert list(rules) == [
        "vulnerable-dependency/GHSA-aaaa",
        "vulnerable-dependency/GHSA-bbbb",
        "vulnerable-dependency/PYSEC-1",
        "unpinned-dependency",
    ]
    critical = rules["vulnerable-dependency/GHSA-aaaa"]
    assert critical["properties"]["security-severity"] == "9.8"
    assert critical["properties"]["tags"][-2:] == ["security", "vulnerability"]
    assert critical["properties"]["precision"] == "very-high"
    assert critical["shortDescription"]["text"] == "pkg: GHSA-aaaa summary"
    assert critical["helpUri"] == "https://osv.dev/vulnerability/GHSA-aaaa"
    # The catalogue still says what the rule means.
    assert "published advisory" in critical["fullDescription"]["text"]
    assert critical["name"] == "VulnerableDependency"
    assert rules["vulnerable-dependency/GHSA-bbbb"]["properties"]["security-severity"] == "8.0"
    # No score nor label: a security alert all the same, only unranked.
    unknown = rules["vulnerable-dependency/PYSEC-1"]["properties"]
    assert "security-severity" not in unknown and "security" in unknown["tags"]
    assert "security-severity" not in rules["unpinned-dependency"]["properties"]
    assert "security" not in rules["unpinned-dependency"]["properties"]["tags"]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert [r["ruleId"] for r in run["results"]][:3] == [
        "vulnerable-dependency/GHSA-aaaa",
        "vulnerable-dependency/GHSA-bbbb",
        "vulnerable-dependency/GHSA-aaaa",
    ]


def test_security_severity_in_a_combined_verdict_and_for_secrets() -> None:
    secret = Finding(
        rule="S105",
        severity=Severity.ERROR,
        message="hard-coded password",
        path="a.py",
        line=1,
        check="lint-format/ruff-check",
    )
    declared = Finding(
        rule="generic-api-key",
        severity=Severity.ERROR,
        message="key",
        path="b.py",
        line=2,
        check="lint-format/secrets",
        data={"security_severity": 9.1},
    )
    not_ours = Finding(
        rule="vulnerable-dependency",
        severity=Severity.ERROR,
        message="m",
        path="c.txt",
        check="other/x",
        data={"id": "GHSA-zzzz", "score": 9.9},
    )
    verdict = samples.minimal().replace(
        status=Status.FAIL,
        findings=(
            _vulnerable("GHSA-cccc", check="dependency-scan/vulnerabilities", score=5.3),
            secret,
            declared,
            not_ours,
        ),
    )
    rules = {r["id"]: r for r in render(verdict)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["vulnerable-dependency/GHSA-cccc"]["properties"]["security-severity"] == "5.3"
    assert rules["S105"]["properties"]["security-severity"] == "7.5"
    assert rules["S105"]["properties"]["tags"][-2:] == ["security", "secret"]
    assert rules["generic-api-key"]["properties"]["security-severity"] == "9.1"
    # Only dependency-scan's findings are advisories.
    assert "vulnerable-dependency" in rules
    assert "security-severity" not in rules["vulnerable-dependency"]["properties"]
