"""The CLI contract: exit codes, verdict files, reports, usage errors, Ctrl-C, passthrough."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualgate.gates import GATES, GateInfo
from tests.support import read_verdict_file, run_qualgate, write_files


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return write_files(tmp_path / "proj", {"app.py": "x = 1\nbad = 2\n"})


@pytest.mark.parametrize(
    ("mode", "code", "status"),
    [("pass", 0, "pass"), ("fail", 1, "fail"), ("skip", 0, "skipped"), ("gate-error", 2, "error")],
)
def test_exit_code_matches_status(
    fake_gate: str, project: Path, mode: str, code: int, status: str
) -> None:
    run = run_qualgate(fake_gate, str(project), "--mode", mode)
    assert run.code == code
    assert run.verdict is not None
    assert run.verdict["status"] == status
    assert read_verdict_file(project, fake_gate)["status"] == status


def test_gate_error_has_reason_and_hint(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--mode", "gate-error")
    assert run.verdict is not None
    assert run.verdict["summary"] == "the fake tool is missing"
    assert run.verdict["next_steps"] == ["pip install fake-tool"]


def test_fail_finding_is_located_and_fingerprinted(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--mode", "fail")
    (finding,) = run.findings
    assert (finding["path"], finding["line"], finding["rule"]) == ("app.py", 2, "F1")
    assert finding["fingerprint"].startswith("sha256:")
    again = run_qualgate(fake_gate, str(project), "--mode", "fail")
    assert again.findings[0]["fingerprint"] == finding["fingerprint"]


def test_envelope_is_filled(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--level", "5")
    assert run.verdict is not None
    assert run.verdict["tool"]["name"] == "qualgate"
    assert run.verdict["tool"]["version"]
    assert run.verdict["started_at"].endswith("Z")
    assert run.verdict["project"]["commit"] is None  # not a git repository
    assert run.verdict["reproduce"] == f"qualgate fake {project} --level 5"


def test_crash_is_an_error_verdict_without_traceback(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--mode", "crash")
    assert run.code == 2
    assert run.verdict is not None
    assert "internal error: RuntimeError: unexpected boom" in run.verdict["summary"]
    assert "Traceback" not in run.stdout + run.stderr
    debug = run_qualgate(fake_gate, str(project), "--mode", "crash", "--debug")
    assert debug.code == 2
    assert "Traceback" in debug.stderr


def test_ctrl_c_writes_a_verdict_and_exits_130(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--mode", "interrupt")
    assert run.code == 130
    saved = read_verdict_file(project, fake_gate)
    assert saved["status"] == "error"
    assert "interrupted" in saved["summary"]


def test_timeout_kills_the_tool_and_is_an_error(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--mode", "sleep", "--timeout", "1")
    assert run.code == 2
    assert run.verdict is not None
    assert "did not finish within 1s" in run.verdict["summary"]
    assert run.verdict["duration_ms"] < 10_000


def test_require_turns_skip_into_fail(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--mode", "skip", "--require")
    assert run.code == 1
    assert run.verdict is not None
    assert run.verdict["summary"] == "required but skipped: nothing to check"


def test_reports_and_text_output(fake_gate: str, project: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "v.json"
    run = run_qualgate(
        fake_gate, str(project), "--mode", "fail", "--format", "text", "--report", f"json:{out}"
    )
    assert run.code == 1
    assert "app.py:2: error [F1] bad thing" in run.stdout
    assert "FAIL fake: 1 finding" in run.stdout
    assert json.loads(out.read_text())["status"] == "fail"


def test_bad_report_spec_is_a_usage_error(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--report", "pdf:x.pdf")
    assert run.code == 2
    assert run.verdict is not None  # --format json was asked: still one verdict
    assert "FMT:PATH" in run.verdict["summary"]


def test_unknown_option_with_json_still_prints_a_verdict(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--no-such-option")
    assert run.code == 2
    assert run.verdict is not None
    assert run.verdict["status"] == "error"
    assert "no-such-option" in run.verdict["summary"]
    plain = run_qualgate(fake_gate, str(project), "--no-such-option", "--format", "text")
    assert plain.code == 2
    assert plain.stdout == ""


def test_missing_root_is_an_error(fake_gate: str, tmp_path: Path) -> None:
    run = run_qualgate(fake_gate, str(tmp_path / "nope"))
    assert run.code == 2
    assert run.verdict is not None
    assert "is not a directory" in run.verdict["summary"]


def test_passthrough_arguments(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, str(project), "--format", "json", "--", "-k", "name")
    assert run.verdict is not None
    assert run.verdict["metrics"]["extra"] == ["-k", "name"]
    assert run.verdict["reproduce"].endswith("-- -k name")


def test_passthrough_refused_by_other_gates(fake_gate: str, project: Path) -> None:
    from qualgate.cli.build import build_gate_command

    command = build_gate_command("fake")
    assert getattr(command, "passthrough", None) is True
    run = run_qualgate("all", str(project), "--format", "json", "--", "-x")
    assert run.code == 2
    assert "takes no arguments after `--`" in (run.verdict or {}).get("summary", "")


def test_action_option_prints_and_exits(fake_gate: str, project: Path) -> None:
    run = run_qualgate(fake_gate, "--list-things", "--format", "text")
    assert run.code == 0
    assert run.stdout == "thing-a\nthing-b\n"


def test_gate_that_cannot_load_answers_error(
    monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    monkeypatch.setitem(
        GATES, "broken", GateInfo(name="broken", module="tests.no_such", help="b", wrapper="-")
    )
    run = run_qualgate("broken", str(project), "--format", "json")
    assert run.code == 2
    assert run.verdict is not None
    assert "cannot load" in run.verdict["summary"]


def test_help_lists_every_gate_without_importing_them() -> None:
    run = run_qualgate("--help")
    assert run.code == 0
    for name in GATES:
        assert name in run.stdout


def test_version_and_schema() -> None:
    version = run_qualgate("--version")
    assert version.code == 0
    assert "0.1.0" in version.stdout
    schema = run_qualgate("schema")
    assert json.loads(schema.stdout)["title"] == "qualgate verdict"


def test_unwritable_verdict_dir_warns_but_answers(fake_gate: str, project: Path) -> None:
    blocker = project / "blocker"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    run = run_qualgate(fake_gate, str(project), "--verdict-dir", str(blocker / "sub"))
    assert run.code == 0
    assert "could not write the verdict file" in run.stderr


def test_python_module_entry_point(project: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "qualgate", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "qualgate, version" in done.stdout


def test_passwords_never_reach_the_verdict(fake_gate: str, project: Path) -> None:
    from qualgate.redact import mask

    assert (
        mask("postgresql+psycopg://app:s3cr%40t@db:5432/x")
        == "postgresql+psycopg://app:***@db:5432/x"
    )
    assert mask("no url here") == "no url here"
    assert mask("mysql://root@localhost/db") == "mysql://root@localhost/db"
    run = run_qualgate(
        fake_gate, str(project), "--names", "postgresql://u:hunter2@h/db", "--level", "99"
    )
    assert run.code == 2
    assert "hunter2" not in run.stdout
    assert "postgresql://u:***@h/db" in run.stdout  # reproduce line, masked
    saved = (project / ".qualgate" / "verdicts" / "fake.json").read_text()
    assert "hunter2" not in saved


def test_config_command_masks_passwords(fake_gate: str, project: Path) -> None:
    import json

    run = run_qualgate(
        "config",
        str(project),
        "--gate",
        "fake",
        "--format",
        "json",
        env={"QUALGATE_FAKE_NAMES": "mysql://root:topsecret@db/x"},
    )
    assert "topsecret" not in run.stdout
    assert json.loads(run.stdout)["gates"]["fake"]["names"]["value"] == ["mysql://root:***@db/x"]


def test_merge_with_bad_input_is_an_error_verdict(tmp_path: Path) -> None:
    bogus = tmp_path / "shard.json"
    bogus.write_text("{not json", encoding="utf-8")
    run = run_qualgate("merge", str(bogus), "--root", str(tmp_path))
    assert run.code == 2
    assert run.verdict is not None
    assert run.verdict["gate"] == "run-tests"
    assert "Traceback" not in run.stdout + run.stderr


def test_explain_prints_a_rule_offline() -> None:
    run = run_qualgate("explain", "broken-link")
    assert run.code == 0
    assert run.stdout.startswith("broken-link (artifact-validate, default severity error)\n")
    assert "docs/rules/artifact-validate.md#broken-link" in run.stdout
    both = run_qualgate("explain", "seed:invalid-file")
    assert both.code == 0 and "(seed," in both.stdout
    missing = run_qualgate("explain", "F401")
    assert missing.code == 2 and "no gate has a rule" in missing.stderr
