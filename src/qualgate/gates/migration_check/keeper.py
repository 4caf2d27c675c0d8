"""Keeper of a throwaway database server: starts it detached, stops it when qualgate ends.

Run by qualgate's own interpreter through `qualgate.process.run`, by path and with the
standard library only (it starts in ~20 ms):

- ``keeper.py run SPEC``: run ``argv`` as another user (``initdb`` refuses to run as root)
  and exit with its code;
- ``keeper.py start SPEC``: start the server through a detached watchdog, wait until it
  accepts connections, print ``{"pid": ...}`` (or ``{"error": ...}``) and exit. The
  watchdog stays: it stops the server and removes its folder when the ``stop`` file
  appears, when the server dies, or when qualgate's process is gone (even by SIGKILL),
  so no server outlives the run that started it.

SPEC is a JSON file: ``argv``, ``user`` ([uid, gid] or null), ``cwd``, ``log``, ``state``
(a folder for pid and status files), ``ready`` (``{"kind": "pgpid", "path": ...}`` or
``{"kind": "tcp", "port": ...}``), ``timeout``, ``parent`` (qualgate's pid), ``cleanup``
(folders to remove) and ``stop_signal``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any, NoReturn

POLL_S = 0.05


def _as_user(user: list[int] | None) -> Any:
    if not user:
        return None
    uid, gid = user

    def drop() -> None:
        os.setgid(gid)
        os.setgroups([])
        os.setuid(uid)

    return drop


def _write(path: str, data: dict[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def _ready(ready: dict[str, Any]) -> bool:
    if ready["kind"] == "pgpid":
        # PostgreSQL 10+ writes "ready" on the 8th line of postmaster.pid once it accepts
        # connections (what `pg_ctl -w` waits for).
        try:
            with open(ready["path"], encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready"
    try:
        with socket.create_connection(("127.0.0.1", int(ready["port"])), timeout=0.5):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _log_tail(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = [ln for ln in handle.read().splitlines() if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-3:])[-600:]


def _watch(spec: dict[str, Any]) -> None:
    """The watchdog (detached): run the server, report readiness, stop it at the end."""
    state = spec["state"]
    with open(spec["log"], "ab") as log:
        server = subprocess.Popen(
            spec["argv"],
            cwd=spec["cwd"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=_as_user(spec.get("user")),
        )
    _write(os.path.join(state, "server.json"), {"pid": server.pid, "watchdog": os.getpid()})
    deadline = time.monotonic() + float(spec["timeout"])
    reported = False
    stop_file = os.path.join(state, "stop")
    parent = int(spec["parent"])
    while True:
        if not reported:
            if _ready(spec["ready"]):
                _write(os.path.join(state, "ready.json"), {"pid": server.pid})
                reported = True
            elif server.poll() is not None or time.monotonic() > deadline:
                why = "exited" if server.poll() is not None else "did not start in time"
                _write(
                    os.path.join(state, "ready.json"),
                    {"error": f"the server {why}: {_log_tail(spec['log'])}"},
                )
                break
        if server.poll() is not None or os.path.exists(stop_file) or not _alive(parent):
            break
        time.sleep(POLL_S if not reported else 0.2)
    if server.poll() is None:
        server.send_signal(int(spec.get("stop_signal", signal.SIGTERM)))
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    for folder in spec.get("cleanup", ()):
        shutil.rmtree(folder, ignore_errors=True)


def start(spec: dict[str, Any]) -> int:
    state = spec["state"]
    pid = os.fork()
    if pid == 0:  # the intermediate child: detach, fork the watchdog, leave
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        try:
            _watch(spec)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    report = os.path.join(state, "ready.json")
    deadline = time.monotonic() + float(spec["timeout"]) + 5
    while time.monotonic() < deadline:
        try:
            with open(report, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            time.sleep(POLL_S)
            continue
        print(json.dumps(data))  # noqa: T201 - the report channel
        return 0 if "pid" in data else 1
    print(json.dumps({"error": "the server did not report in time"}))  # noqa: T201
    return 1


def run(spec: dict[str, Any]) -> NoReturn:
    drop = _as_user(spec.get("user"))
    if drop is not None:
        drop()
    os.chdir(spec["cwd"])
    os.execv(spec["argv"][0], spec["argv"])  # noqa: S606 - argv chosen by qualgate


def main(argv: list[str]) -> int:
    mode, path = argv[1], argv[2]
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    if mode == "start":
        return start(spec)
    if mode == "run":
        return run(spec)
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
