"""process.run: capture, missing tools, timeouts and Ctrl-C kill the whole process group."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from qualgate import process
from qualgate.errors import ToolMissing, ToolTimeout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_captures_output_and_exit_code(tmp_path: Path) -> None:
    done = process.run(
        [
            sys.executable,
            "-c",
            "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)",
        ],
        cwd=tmp_path,
        timeout=30,
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
    assert done.argv[0] == sys.executable
    assert done.duration_ms >= 0


def test_stdin_and_env(tmp_path: Path) -> None:
    done = process.run(
        [sys.executable, "-c", "import os,sys; print(sys.stdin.read() + os.environ['QG_X'])"],
        cwd=tmp_path,
        timeout=30,
        env={"QG_X": "!"},
        stdin="hello",
    )
    assert done.stdout == "hello!\n"


def test_missing_tool_names_the_install_hint(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing) as info:
        process.run(
            ["qualgate-no-such-tool"], cwd=tmp_path, timeout=5, install_hint="pip install x"
        )
    assert "qualgate-no-such-tool" in info.value.reason
    assert info.value.hint == "pip install x"
    script = tmp_path / "noexec.sh"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    with pytest.raises(ToolMissing):
        process.run([str(script)], cwd=tmp_path, timeout=5)


def _spawn_family(tmp_path: Path) -> list[str]:
    # A shell that starts a grandchild, records its pid, then waits.
    return [
        "sh",
        "-c",
        f"sleep 60 & echo $! > {tmp_path}/child.pid; wait",
    ]


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ToolTimeout) as info:
        process.run(_spawn_family(tmp_path), cwd=tmp_path, timeout=0.5)
    assert time.monotonic() - started < 10
    assert "did not finish within 0.5s" in info.value.reason
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_timeout_keeps_partial_output(tmp_path: Path) -> None:
    with pytest.raises(ToolTimeout) as info:
        process.run(
            [sys.executable, "-u", "-c", "import time; print('started test_x'); time.sleep(30)"],
            cwd=tmp_path,
            timeout=1,
        )
    assert "started test_x" in info.value.stdout


def test_ctrl_c_kills_the_group_and_propagates(tmp_path: Path) -> None:
    # A real SIGINT, as a terminal sends it: it interrupts the blocking wait at once.
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            process.run(_spawn_family(tmp_path), cwd=tmp_path, timeout=30)
        assert time.monotonic() - started < 10
    finally:
        timer.cancel()
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_tool_version(tmp_path: Path) -> None:
    assert process.tool_version(("git", "--version")) is not None
    assert process.tool_version(("qualgate-no-such-tool", "--version")) is None
    script = tmp_path / "v.sh"
    script.write_text("#!/bin/sh\necho 'tool 1.2.3rc1 (build)' >&2\n", encoding="utf-8")
    script.chmod(0o755)
    assert process.tool_version((str(script),)) == "1.2.3rc1"
    silent = tmp_path / "silent.sh"
    silent.write_text("#!/bin/sh\necho no version here\n", encoding="utf-8")
    silent.chmod(0o755)
    assert process.tool_version((str(silent),)) is None


def test_env_none_removes_a_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QG_GONE", "inherited")
    code = "import os; print(os.environ.get('QG_GONE', 'unset'), os.environ['QG_NEW'])"
    done = process.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        timeout=30,
        env={"QG_GONE": None, "QG_NEW": "x"},
    )
    assert done.stdout == "unset x\n"
