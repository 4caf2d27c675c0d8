"""Running several gates at once, each in a forked worker process (``qualgate all``).

A gate runs in its worker exactly as it runs alone: `pipeline.execute` in the worker's
main thread, so its ``--timeout`` deadline and SIGTERM handling hold, and its tools die
with it. Forking (rather than starting ``qualgate`` again) costs no start-up and no
imports. Each worker sends its outcome back as one JSON document on a pipe; the parent
waits on all pipes at once and never starts a tool itself.

When the parent is interrupted (Ctrl-C, SIGTERM, the deadline of ``all``), every worker
gets SIGTERM (its gate stops, kills its tools, cleans up), and whatever is left after a
grace period is killed. Without ``os.fork`` (Windows), or with one job, gates run one
after another in this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import sys
import time
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualgate import __version__, pipeline
from qualgate.verdict import Tool, from_dict, to_dict

_GRACE_S = 10.0


@dataclass(kw_only=True)
class _Worker:
    request: pipeline.Request
    pid: int
    fd: int
    chunks: list[bytes] = field(default_factory=list)


def run_all(
    requests: Sequence[pipeline.Request],
    *,
    database: Collection[str],
    jobs: int,
    after: Mapping[str, Collection[str]] | None = None,
    on_done: Callable[[pipeline.Outcome], object] | None = None,
) -> dict[str, pipeline.Outcome]:
    """Every request's outcome, ``jobs`` at a time, one ``database`` gate at a time, each
    after the gates it reads (``after``); otherwise in the order given. ``on_done`` sees
    each outcome as soon as it is known (before a gate waiting on it starts)."""
    report = on_done or (lambda outcome: None)
    waits = {r.gate: set(after.get(r.gate, ())) if after else set() for r in requests}
    names = {r.gate for r in requests}
    for gate in waits:
        waits[gate] &= names - {gate}
    if jobs <= 1 or len(requests) <= 1 or not hasattr(os, "fork"):
        serial: dict[str, pipeline.Outcome] = {}
        for request in _in_order(requests, waits):
            serial[request.gate] = pipeline.execute(request)
            report(serial[request.gate])
        return serial
    pending = list(requests)
    running: dict[int, _Worker] = {}
    done: dict[str, pipeline.Outcome] = {}
    selector = selectors.DefaultSelector()
    try:
        while pending or running:
            while pending and len(running) < jobs:
                busy = any(w.request.gate in database for w in running.values())
                choice = next(
                    (
                        r
                        for r in pending
                        if not (busy and r.gate in database) and waits[r.gate] <= done.keys()
                    ),
                    None,
                )
                if choice is None and not running:
                    choice = pending[0]  # gates waiting on each other: the first one goes
                if choice is None:
                    break
                pending.remove(choice)
                worker = _start(choice)
                running[worker.fd] = worker
                selector.register(worker.fd, selectors.EVENT_READ)
            for key, _events in selector.select(timeout=1.0):
                fd = int(key.fd)
                worker = running[fd]
                data = os.read(fd, 1 << 16)
                if data:
                    worker.chunks.append(data)
                    continue
                selector.unregister(fd)
                os.close(fd)
                del running[fd]
                done[worker.request.gate] = _finish(worker)
                report(done[worker.request.gate])
    except BaseException:
        _stop(list(running.values()))
        raise
    finally:
        selector.close()
    return done


def _in_order(
    requests: Sequence[pipeline.Request], waits: Mapping[str, set[str]]
) -> list[pipeline.Request]:
    """The requests in the order given, each moved after the gates it waits for."""
    ordered: list[pipeline.Request] = []
    left = list(requests)
    while left:
        ready = next((r for r in left if waits[r.gate] <= {o.gate for o in ordered}), left[0])
        ordered.append(ready)
        left.remove(ready)
    return ordered


def _start(request: pipeline.Request) -> _Worker:
    read_end, write_end = os.pipe()
    # Python 3.12+ warns about forking a process with threads; a worker only runs a gate
    # (its own threads start after the fork) and leaves through os._exit.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker (coverage does not follow os._exit)
        os.close(read_end)
        _serve(request, write_end)
    os.close(write_end)
    return _Worker(request=request, pid=pid, fd=read_end)


def _serve(request: pipeline.Request, fd: int) -> None:  # pragma: no cover - in the worker
    code = 0
    try:
        # The parent's handlers raise in the parent's frames; this process has its own.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        outcome = pipeline.execute(request)
        document = {
            "verdict": to_dict(outcome.verdict),
            "verdict_dir": str(outcome.verdict_dir),
            "signal_code": outcome.signal_code,
        }
        payload = json.dumps(document, ensure_ascii=True).encode("ascii")
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:  # noqa: BLE001 - whatever happens, the worker ends here
        code = 70
    finally:
        with contextlib.suppress(OSError):
            sys.stdout.flush()
        os._exit(code)


def _finish(worker: _Worker) -> pipeline.Outcome:
    _, status = os.waitpid(worker.pid, 0)
    try:
        document = json.loads(b"".join(worker.chunks))
        return pipeline.Outcome(
            verdict=from_dict(document["verdict"]),
            verdict_dir=Path(document["verdict_dir"]),
            signal_code=document.get("signal_code"),
        )
    except (ValueError, KeyError, TypeError):
        how = (
            f"signal {os.WTERMSIG(status)}"
            if os.WIFSIGNALED(status)
            else f"exit code {os.waitstatus_to_exitcode(status)}"
        )
        verdict = pipeline.error_verdict(
            worker.request.gate,
            f"the {worker.request.gate} worker process ended without an answer ({how})",
            f"run the gate alone: `qualgate {worker.request.gate} --debug`",
        ).replace(started_at=pipeline.utc_now(), tool=Tool(version=__version__))
        return pipeline.Outcome(
            verdict=verdict, verdict_dir=worker.request.root / pipeline.VERDICT_DIR
        )


def _stop(workers: Sequence[_Worker]) -> None:
    """SIGTERM to every worker (each stops its gate cleanly), SIGKILL after the grace."""
    for worker in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_S
    left = {w.pid for w in workers}
    while left and time.monotonic() < deadline:
        for pid in list(left):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue
            left.discard(pid)
        time.sleep(0.05)
    for pid in left:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    for worker in workers:
        with contextlib.suppress(OSError):
            os.close(worker.fd)
