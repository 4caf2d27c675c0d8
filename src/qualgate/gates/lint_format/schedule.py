"""Running the checks at once, with their results in a fixed order.

Every job but one runs in a worker thread; the longest (mypy or pyright, when selected)
runs in the calling thread so Ctrl-C and SIGTERM reach it first and kill its process
group. Results are assembled in the order given, so the verdict does not depend on which
tool finished first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

from qualgate.errors import GateError
from qualgate.verdict import Check, Status

from .tools import Outcome


def guard(name: str, job: Callable[[], Outcome]) -> Outcome:
    """Run one check; a GateError (tool missing, too old, timeout) becomes its error."""
    try:
        return job()
    except GateError as exc:
        return Outcome(
            check=Check(name=name, status=Status.ERROR, summary=exc.reason),
            reason=exc.reason,
            hint=exc.hint,
        )


def run_all(
    jobs: Mapping[str, Callable[[], Outcome]],
    order: Sequence[str],
    *,
    foreground: Sequence[str] = (),
    thread_prefix: str = "lint-format",
) -> list[Outcome]:
    """Run ``jobs`` concurrently; ``foreground`` ones in this thread, one after another."""
    results: dict[str, Outcome] = {}
    failures: list[BaseException] = []
    threads: list[threading.Thread] = []

    def work(name: str, job: Callable[[], Outcome]) -> None:
        try:
            results[name] = guard(name, job)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            failures.append(exc)

    # Plain threads (not concurrent.futures, whose import costs more than a ruff run on
    # a small tree).
    for name, job in jobs.items():
        if name in foreground:
            continue
        thread = threading.Thread(target=work, args=(name, job), name=f"{thread_prefix}-{name}")
        thread.start()
        threads.append(thread)
    try:
        for name in foreground:
            if name in jobs:
                results[name] = guard(name, jobs[name])
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return [results[name] for name in order if name in results]
