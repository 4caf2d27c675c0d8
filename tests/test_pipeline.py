"""The run pipeline end to end: deadlines, SIGTERM, masking and the verdict file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qualgate import interrupts
from tests.support import assert_valid_verdict, run_qualgate, write_files


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root


def test_deadline_stops_in_process_work(
    fake_gate: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interrupts, "GRACE_S", 0.2)
    started = time.monotonic()
    run = run_qualgate(fake_gate, str(project), "--mode", "spin", "--timeout", "1")
    assert time.monotonic() - started < 10
    assert run.code == 2
    assert run.verdict is not None
    assert run.verdict["summary"] == "timed out: the gate ran past its --timeout of 1s"
    written = json.loads((project / ".qualgate/verdicts/fake.json").read_text())
    assert written["status"] == "error"


def test_deadline_is_lifted_after_the_run(fake_gate: str, project: Path) -> None:
    run_qualgate(fake_gate, str(project), "--timeout", "1")
    time.sleep(1.2)  # a timer left armed would fire here, outside any gate
    assert run_qualgate(fake_gate, str(project)).code == 0


def test_usage_error_verdict_masks_passwords(project: Path) -> None:
    url = "postgresql://u:pa/ss@db.internal/app?password=qs-secret"
    run = run_qualgate(
        "migration-check", str(project), "--format", "json", "--database-url", url, "--bogus"
    )
    assert run.code == 2
    assert "pa/ss" not in run.stdout and "qs-secret" not in run.stdout
    assert run.verdict is not None and "***" in run.verdict["reproduce"]


def test_config_command_masks_environment_secrets(project: Path) -> None:
    run = run_qualgate(
        "config",
        str(project),
        "--format",
        "json",
        env={"QUALGATE_SEED_DATABASE_URL": "postgresql://u:s3cr%2Fet@h/db"},
    )
    assert run.code == 0
    assert "s3cr" not in run.stdout
    assert "postgresql://u:***@h/db" in run.stdout


def test_the_qualgate_folder_gets_its_gitignore_and_no_other_folder_does(
    fake_gate: str, project: Path, tmp_path: Path
) -> None:
    run_qualgate(fake_gate, str(project), "--verdict-dir", str(project / "reports"))
    assert not (project / "reports/.gitignore").exists()
    assert not (project / ".qualgate/verdicts").exists()
    run_qualgate(fake_gate, str(project))
    text = (project / ".qualgate/.gitignore").read_text()
    assert text.splitlines()[-2:] == ["*", "!baseline.json"]
    # A .qualgate linked out of the project is not written through, .gitignore included.
    other = tmp_path / "other"
    other.mkdir()
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".qualgate").symlink_to(other)
    run_qualgate(fake_gate, str(linked))
    assert list(other.iterdir()) == []


@pytest.mark.slow
def test_sigterm_kills_the_tests_and_still_writes_the_verdict(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    marker = tmp_path / "started"
    write_files(
        root,
        {
            "tests/test_slow.py": (
                "import pathlib, time\n\n"
                "def test_slow():\n"
                f"    pathlib.Path({str(marker)!r}).write_text(str(__import__('os').getpid()))\n"
                "    time.sleep(120)\n"
            ),
        },
    )
    qualgate = Path(sys.executable).with_name("qualgate")
    proc = subprocess.Popen(
        [str(qualgate), "run-tests", str(root), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "pytest never started the test"
        proc.send_signal(signal.SIGTERM)
        out, _err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143
    verdict = json.loads(out)
    assert_valid_verdict(verdict)
    assert verdict["status"] == "error"
    assert "SIGTERM" in verdict["summary"]
    written = json.loads((root / ".qualgate/verdicts/run-tests.json").read_text())
    assert written["status"] == "error"
    pytest_pid = int(marker.read_text())
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.kill(pytest_pid, 0)  # the test run was killed with qualgate
    assert not list((root / ".qualgate").glob("tmp-*"))
