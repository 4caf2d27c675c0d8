"""Run a failed test again at once, to tell a flaky test from a failing one.

With ``$QUALGATE_RT_RERUNS`` = N (qualgate's ``--rerun-failures N``), a test whose setup,
call or teardown failed is run again right away, up to N more times, with pytest's own
protocol (``runtestprotocol``): its function-scoped fixtures are torn down and set up anew,
wider fixtures stay as the next test needs them. The reports of a failed attempt are logged
with the outcome ``rerun`` (as pytest-rerunfailures does, so terminal summaries, junit files
and xdist all carry them), each report carrying ``qualgate_attempt``; the last attempt is
logged as it is. A test that failed and then passed is flaky; one that failed every time
failed.

When the project runs pytest-rerunfailures with ``--reruns`` itself, it does the reruns and
qualgate only reads its ``rerun`` reports.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

ENV = "QUALGATE_RT_RERUNS"
_state: dict[str, int] = {"reruns": 0}


def configure(config: pytest.Config) -> int:
    """How many reruns this plugin does (0 when off, or when pytest-rerunfailures does them)."""
    try:
        reruns = max(0, int(os.environ.get(ENV) or 0))
    except ValueError:
        reruns = 0
    theirs = getattr(config.option, "reruns", None)
    if config.pluginmanager.has_plugin("rerunfailures") and theirs:
        reruns = 0
    if getattr(config.option, "usepdb", False):
        reruns = 0  # a debugger session is not a place to run a failure twice
    _state["reruns"] = reruns
    return reruns


def protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """pytest_runtest_protocol: None leaves the test to pytest (reruns off)."""
    reruns = _state["reruns"]
    if reruns <= 0:
        return None
    from _pytest.runner import runtestprotocol

    hook = item.ihook
    hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    attempt = 1
    reports = runtestprotocol(item, nextitem=nextitem, log=False)
    while attempt <= reruns and any(r.failed for r in reports):
        for report in reports:
            _mark(report, attempt)
            if report.failed:
                report.outcome = "rerun"  # type: ignore[assignment]
            hook.pytest_runtest_logreport(report=report)
        attempt += 1
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
    for report in reports:
        _mark(report, attempt)
        hook.pytest_runtest_logreport(report=report)
    hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _mark(report: Any, attempt: int) -> None:
    report.qualgate_attempt = attempt


def teststatus(report: Any) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    """How the terminal shows a failed attempt that is run again."""
    if _state["reruns"] > 0 and getattr(report, "outcome", None) == "rerun":
        return "rerun", "R", ("RERUN", {"yellow": True})
    return None
