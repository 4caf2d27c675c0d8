"""Ending a run early, cleanly: SIGTERM (a cancelled CI job) and the ``--timeout`` deadline.

Both arrive as exceptions raised in the main thread, derived from `KeyboardInterrupt`, so
every cleanup path written for Ctrl-C runs for them too: `process.run` kills the tool's
process group, ``finally`` blocks remove temporary files and drop scratch databases, and
the pipeline still writes a verdict. The deadline also bounds work done in-process
(parsing a hostile document), which no subprocess timeout covers.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop, clean up, write the verdict, exit 143."""


class DeadlineExceeded(KeyboardInterrupt):
    """The gate ran past its ``--timeout`` (plus a grace for its own timeout message)."""


# A gate's own timeouts (a tool killed at ctx.remaining()) say more than ours: let them win.
GRACE_S = 5.0

_deadlines: list[float] = []


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    if _deadlines and time.monotonic() >= _deadlines[-1] - 0.01:
        raise DeadlineExceeded
    _arm()  # an outer deadline's timer fired early: wait on


def _arm() -> None:
    if _deadlines:
        signal.setitimer(signal.ITIMER_REAL, max(0.01, _deadlines[-1] - time.monotonic()))
    else:
        signal.setitimer(signal.ITIMER_REAL, 0)


@contextlib.contextmanager
def guarded(timeout: float | None) -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` and the deadline `DeadlineExceeded`.

    Nestable (``all`` runs gates inside its own budget); a no-op outside the main thread,
    where signal handlers cannot be set.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, _on_term)
    previous_alarm = signal.signal(signal.SIGALRM, _on_alarm)
    deadline = time.monotonic() + timeout + GRACE_S if timeout else float("inf")
    if _deadlines:
        deadline = min(deadline, _deadlines[-1])
    _deadlines.append(deadline)
    if deadline != float("inf"):
        _arm()
    try:
        yield
    finally:
        _deadlines.pop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGTERM, previous_term)
        if _deadlines and _deadlines[-1] != float("inf"):
            _arm()
