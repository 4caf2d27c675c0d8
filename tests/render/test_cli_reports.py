"""End to end through the CLI: ``--report FMT:PATH`` files and the GitHub step summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from qualgate.gates import GATES, GateInfo
from tests.support import FIXTURES, read_verdict_file, run_qualgate, write_files


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> str:
    """Register tests/fake_gate.py as the gate ``fake`` for one test."""
    info = GateInfo(name="fake", module="tests.fake_gate", help="A fake gate.", wrapper="-")
    monkeypatch.setitem(GATES, "fake", info)
    return "fake"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_files(tmp_path / "proj", {"app.py": "x = 1\nbad = 2\n", "pyproject.toml": ""})


def test_sarif_and_junit_reports_in_one_run(fake: str, project: Path, tmp_path: Path) -> None:
    sarif_path = tmp_path / "out" / "q.sarif"
    junit_path = tmp_path / "out" / "q.xml"
    run = run_qualgate(
        fake,
        str(project),
        "--mode",
        "fail",
        "--report",
        f"sarif:{sarif_path}",
        "--report",
        f"junit:{junit_path}",
    )
    assert run.code == 1
    assert run.verdict is not None
    assert run.verdict == read_verdict_file(project, fake)
    fingerprint = run.verdict["findings"][0]["fingerprint"]

    document = json.loads(sarif_path.read_text(encoding="utf-8"))
    schema = json.loads((FIXTURES / "render" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.Draft4Validator(schema).validate(document)
    run_obj = document["runs"][0]
    assert run_obj["automationDetails"]["id"] == "qualgate/fake/"
    result = run_obj["results"][0]
    assert result["ruleId"] == "F1"
    assert result["level"] == "error"
    assert result["partialFingerprints"]["qualgate/v1"] == fingerprint.removeprefix("sha256:")
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2},
    }
    assert run_obj["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert run_obj["invocations"][0]["executionSuccessful"] is True

    suite = ET.parse(junit_path).getroot().find("testsuite")  # noqa: S314 - our own file
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "2", "0")
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["fake", "F1 app.py:2"]


def test_error_run_writes_reports_too(fake: str, project: Path, tmp_path: Path) -> None:
    sarif_path = tmp_path / "e.sarif"
    junit_path = tmp_path / "e.xml"
    run = run_qualgate(
        fake,
        str(project),
        "--mode",
        "gate-error",
        "--report",
        f"sarif:{sarif_path}",
        "--report",
        f"junit:{junit_path}",
    )
    assert run.code == 2
    invocation = json.loads(sarif_path.read_text("utf-8"))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == (
        "the fake tool is missing\npip install fake-tool"
    )
    suite = ET.parse(junit_path).getroot().find("testsuite")  # noqa: S314 - our own file
    assert suite is not None and suite.get("errors") == "1"


def test_github_format_writes_annotations_and_step_summary(
    fake: str, project: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    run = run_qualgate(fake, str(project), "--mode", "fail", "--format", "github", env=env)
    assert run.code == 1
    assert run.stdout.splitlines() == [
        "::error file=app.py,line=2,title=qualgate fake%3A F1::bad thing",
        "qualgate fake: fail - 1 finding",
    ]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n\n<!-- qualgate:fake -->\n### ❌ qualgate fake: fail\n")
    assert "| 🔴 error | `app.py:2` | `F1` | bad thing |" in text
    # A second run appends a second summary.
    run_qualgate(fake, str(project), "--mode", "pass", "--format", "github", env=env)
    again = summary.read_text(encoding="utf-8")
    assert again.startswith(text)
    assert again.count("<!-- qualgate:fake -->") == 2
    assert "### ✅ qualgate fake: pass" in again[len(text) :]


def test_markdown_report_and_json_stdout(fake: str, project: Path, tmp_path: Path) -> None:
    md = tmp_path / "comment.md"
    run = run_qualgate(fake, str(project), "--mode", "skip", "--report", f"markdown:{md}")
    assert run.code == 0
    assert run.verdict is not None and run.verdict["status"] == "skipped"
    assert md.read_text("utf-8").startswith("<!-- qualgate:fake -->\n### ⏭️ qualgate fake: skipped")
