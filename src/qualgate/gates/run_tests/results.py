"""Per-test outcomes, read from the events our pytest plugin writes (one JSON object a line).

Outcomes are counted the way pytest's own summary line counts them: a test that passes
and then errors in teardown counts once as passed and once as an error; ``xfail`` tests
are ``xfailed`` when they fail and ``xpassed`` when they pass (non-strict). A failed
attempt that was run again (``--rerun-failures``, or pytest-rerunfailures) is not counted:
the last attempt is, and a test that failed and then passed is also counted ``flaky``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ERROR_PHASES = ("setup", "teardown")
OUTCOMES = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed", "flaky")
# Makes a reported path root-relative (`GateContext.relpath`).
RelPath = Callable[[str], str]


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """A failed test phase or a file that could not be collected."""

    kind: str  # "failed" | "error" | "collect" | "flaky"
    nodeid: str
    when: str
    path: str | None
    line: int | None
    message: str
    exception: str | None = None
    origin: Mapping[str, Any] | None = None
    # How many times the test ran (more than 1 with reruns).
    attempts: int = 1
    # The deepest frame in the project's own files (a fixture in conftest.py, a module the
    # test imports), when the crash site is outside them (a library, the standard library).
    where: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TestResults:
    """What one pytest run (or several shards) reported."""

    counts: Mapping[str, int]
    durations: Mapping[str, float]
    problems: tuple[Problem, ...]
    running: tuple[str, ...] = ()
    started: bool = False
    finished: bool = False
    exitstatus: int | None = None
    collected_total: int | None = None
    selected: int | None = None
    deselected: int = 0
    partition: str | None = None
    other_shard_files: int = 0
    integration_selected: int = 0
    contexts: bool = False
    stopped_early: bool = False
    pytest_version: str | None = None
    # The interpreter the tests ran on (X.Y.Z).
    python_version: str | None = None
    coverage_version: str | None = None
    measuring: bool = False
    dynamic_context: str | None = None
    nodeids: tuple[str, ...] = field(default_factory=tuple)
    # What coverage measured (origin, source, config file), from the plugin.
    measured: Mapping[str, Any] | None = None
    # The plugin could not measure: {"problem": "missing" | "too-old" | "start" | "save"}.
    coverage_problem: Mapping[str, Any] | None = None
    reruns: int = 0
    skip_reasons: Mapping[str, int] = field(default_factory=dict)
    # How long the plugin took to combine and report coverage at the end of the run.
    report_ms: int = 0

    @property
    def ran(self) -> int:
        return sum(self.counts.get(k, 0) for k in ("passed", "failed", "xfailed", "xpassed"))

    def slowest(self, count: int = 10) -> list[dict[str, Any]]:
        ranked = sorted(self.durations.items(), key=lambda kv: (-kv[1], kv[0]))[:count]
        return [{"nodeid": n, "duration_s": round(d, 3)} for n, d in ranked]


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events of a (possibly killed) run; a torn last line is ignored."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    events = []
    for raw in text.splitlines():
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def parse(events: Iterable[Mapping[str, Any]], relpath: RelPath) -> TestResults:
    """Fold plugin events into `TestResults`; ``relpath`` makes paths root-relative."""
    counts = dict.fromkeys(OUTCOMES, 0)
    durations: dict[str, float] = {}
    problems: list[Problem] = []
    started: dict[str, None] = {}
    skips: dict[str, int] = {}
    info: dict[str, Any] = {"integration_selected": 0}
    order: dict[str, None] = {}
    tests: dict[str, Mapping[str, Any]] = {}
    for event in events:
        kind = event.get("event")
        if kind == "start":
            info["started"] = True
            info["pytest_version"] = event.get("pytest")
            info["python_version"] = event.get("python") or info.get("python_version")
            info["coverage_version"] = event.get("coverage")
            info["measuring"] = bool(event.get("measuring"))
            info["dynamic_context"] = event.get("dynamic_context") or None
            measured = event.get("measured")
            info["measured"] = measured if isinstance(measured, dict) else None
            info["reruns"] = int(event.get("reruns") or 0)
        elif kind == "coverage_problem":
            info.setdefault("coverage_problem", dict(event))
        elif kind == "coverage_report":
            info["report_ms"] = int(event.get("ms") or 0)
        elif kind == "finish":
            info["finished"] = True
            info["exitstatus"] = int(event.get("exitstatus", 0))
            info["stopped_early"] = bool(event.get("stopped_early"))
        elif kind == "collected":
            info["collected_total"] = int(event.get("total", 0))
            info["selected"] = int(event.get("selected", 0))
            info["deselected"] = int(event.get("deselected", 0))
            info["partition"] = event.get("partition")
            info["other_shard_files"] = int(event.get("other_shard_files", 0))
            info["integration_selected"] = int(event.get("integration", 0))
            info["contexts"] = bool(event.get("contexts"))
        elif kind == "collect_error":
            if event.get("python"):
                info.setdefault("python_version", event["python"])
            problems.append(_collect_problem(event, relpath))
        elif kind == "test_start":
            started[str(event["nodeid"])] = None
        elif kind == "test":
            nodeid = str(event["nodeid"])
            started.pop(nodeid, None)
            order[nodeid] = None
            # Under xdist, pytest-rerunfailures' attempts can arrive as separate events of
            # the same test: fold them together, so a test that failed every attempt is
            # not taken for flaky.
            if nodeid in tests:
                earlier = tests[nodeid]
                merged = [*(earlier.get("phases") or ()), *(event.get("phases") or ())]
                tests[nodeid] = {**earlier, **event, "phases": merged}
            else:
                tests[nodeid] = event
    for event in tests.values():
        _fold_test(event, relpath, counts, durations, problems, skips)
    return TestResults(
        counts=counts,
        durations=durations,
        problems=tuple(problems),
        running=tuple(started),
        nodeids=tuple(order),
        skip_reasons=skips,
        **info,
    )


def _fold_test(
    event: Mapping[str, Any],
    relpath: RelPath,
    counts: dict[str, int],
    durations: dict[str, float],
    problems: list[Problem],
    skips: dict[str, int],
) -> None:
    """Count one test's phase reports; its failures (and flakiness) become problems."""
    nodeid = str(event["nodeid"])
    reruns: list[Mapping[str, Any]] = []
    failed = False
    attempts = 1
    for phase in event.get("phases") or ():
        report = {**phase, "nodeid": nodeid, "location": event.get("location")}
        durations[nodeid] = durations.get(nodeid, 0.0) + float(phase.get("duration", 0))
        attempts = max(attempts, int(phase.get("attempt") or 1))
        outcome = _classify(report)
        if outcome is not None:
            counts[outcome] += 1
        if outcome == "skipped":
            reason = str(phase.get("reason") or "no reason given").removeprefix("Skipped: ")
            skips[reason] = skips.get(reason, 0) + 1
        if phase.get("outcome") == "rerun":
            reruns.append(report)
        elif phase.get("outcome") == "failed":
            failed = True
            problems.append(_test_problem(report, relpath, attempts=attempts))
    if reruns and not failed:
        counts["flaky"] += 1
        first = _test_problem(reruns[0], relpath)
        problems.append(
            Problem(
                kind="flaky",
                nodeid=nodeid,
                when=first.when,
                path=first.path,
                line=first.line,
                message=f"{first.message} (attempt 1 {_verb(first.when)}; attempt "
                f"{attempts} passed)",
                exception=first.exception,
                origin=first.origin,
                attempts=attempts,
            )
        )


def _verb(when: str) -> str:
    return f"errored in {when}" if when in _ERROR_PHASES else "failed"


def _classify(event: Mapping[str, Any]) -> str | None:
    """pytest's own counting (``_pytest.terminal`` / ``skipping``) of one phase report."""
    outcome, when, xfail = event.get("outcome"), event.get("when"), bool(event.get("xfail"))
    if outcome == "passed":
        if when != "call":
            return None
        return "xpassed" if xfail else "passed"
    if outcome == "skipped":
        return "xfailed" if xfail else "skipped"
    if outcome == "failed":
        # As pytest's summary counts: setup and teardown failures are errors; anything else
        # (the call, or "???" for a test whose xdist worker crashed) is a failure.
        return "errors" if when in _ERROR_PHASES else "failed"
    return None


def _test_problem(event: Mapping[str, Any], relpath: RelPath, *, attempts: int = 1) -> Problem:
    nodeid = str(event["nodeid"])
    when = str(event.get("when", "call"))
    failure = event.get("failure") or {}
    location = event.get("location") or [nodeid.split("::", 1)[0], None]
    path = failure.get("path") or location[0]
    line = failure.get("line")
    if line is None and isinstance(location[1], int):
        line = location[1] + 1  # pytest locations are 0-based
    message = failure.get("message") or _last_line(event.get("text") or "") or "failed"
    crash = failure.get("crash")
    own = failure.get("project")
    return Problem(
        kind="error" if when in _ERROR_PHASES else "failed",
        nodeid=nodeid,
        when=when,
        path=relpath(path) if path else None,
        line=line,
        message=message,
        exception=failure.get("exception"),
        origin={"path": relpath(crash["path"]), "line": crash["line"]} if crash else None,
        attempts=attempts,
        where={"path": relpath(own["path"]), "line": own["line"]} if own else None,
    )


def _collect_problem(event: Mapping[str, Any], relpath: RelPath) -> Problem:
    nodeid = str(event.get("nodeid") or "")
    error = event.get("error") or {}
    path = error.get("path") or (nodeid.split("::", 1)[0] if nodeid else None)
    origin = error.get("origin")
    own = error.get("project")
    message = error.get("message") or _last_line(event.get("text") or "") or "collection failed"
    return Problem(
        kind="collect",
        nodeid=nodeid,
        when="collect",
        path=relpath(path) if path else None,
        line=error.get("line"),
        message=message,
        exception=error.get("exception"),
        origin={"path": relpath(origin["path"]), "line": origin.get("line")} if origin else None,
        where={"path": relpath(own["path"]), "line": own.get("line")} if own else None,
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
