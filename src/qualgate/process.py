"""The only place that starts subprocesses.

Every external tool runs in its own process group, so that a timeout or Ctrl-C kills the
tool *and* everything it started (pytest workers, a database server it forked...).
Output is captured, never streamed to our stdout, which belongs to the verdict.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualgate.errors import ToolMissing, ToolTimeout

_KILL_GRACE_S = 2.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Completed:
    """A finished tool run."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_ms: int


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Terminate the whole process group, then kill what is left after a grace period."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        return
    for sig, wait in ((signal.SIGTERM, _KILL_GRACE_S), (signal.SIGKILL, None)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        if wait is None:
            break
        try:
            proc.wait(timeout=wait)
            # The leader is gone; children may linger in the group: kill them too.
            os.killpg(pgid, signal.SIGKILL)
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return
        return


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str,
    timeout: float | None,
    env: Mapping[str, str | None] | None = None,
    stdin: str | None = None,
    install_hint: str | None = None,
) -> Completed:
    """Run ``argv`` to completion and capture its output.

    Raises `ToolMissing` when the executable does not exist and `ToolTimeout` when it
    runs past ``timeout`` seconds (the process group is killed first). Ctrl-C kills
    the group and re-raises `KeyboardInterrupt`. ``env`` adds to our environment; a
    ``None`` value removes that variable.
    """
    args = [str(a) for a in argv]
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        for key, value in env.items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            args,
            cwd=str(cwd),
            env=full_env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolMissing(
            f"`{args[0]}` is not installed or not on PATH",
            install_hint,
        ) from exc
    except PermissionError as exc:
        raise ToolMissing(f"`{args[0]}` is not executable", install_hint) from exc
    try:
        stdout, stderr = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        out, err = proc.communicate()
        raise ToolTimeout(
            f"`{' '.join(args[:3])}` did not finish within {timeout:g}s",
            "raise --timeout, or look for a hung test or tool",
            stdout=out or _text(exc.stdout),
            stderr=err or _text(exc.stderr),
        ) from exc
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    return Completed(
        argv=tuple(args),
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        duration_ms=int((time.monotonic() - start) * 1000),
    )


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


_VERSION = re.compile(r"\d+(?:\.\d+)+(?:[-.+]?[A-Za-z0-9]+)*")


@functools.lru_cache(maxsize=64)
def tool_version(argv: tuple[str, ...], cwd: str = ".") -> str | None:
    """The first version number printed by ``argv`` (e.g. ``("ruff", "--version")``)."""
    try:
        done = run(argv, cwd=cwd, timeout=30)
    except (ToolMissing, ToolTimeout):
        return None
    match = _VERSION.search(done.stdout or done.stderr)
    return match.group(0) if match else None
