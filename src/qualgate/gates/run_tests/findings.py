"""Findings from test problems, with many failures of one cause told once.

When a database is down, an environment variable is missing or a shared module does not
import, dozens of tests fail alike. Problems of the same kind, phase, exception, message
(object addresses aside) and crash site are one *cause*: three or more of them become one
finding that counts and names the tests, and the summary and next steps name the cause
once instead of repeating it per test.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qualgate.gates.run_tests.results import Problem
from qualgate.gates.run_tests.rules import RULES
from qualgate.verdict import Finding, plural

GROUP_MIN = 3  # problems with one cause told as one finding from this many on
NODEIDS_KEPT = 20
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_RULE = {
    "failed": "test-failed",
    "error": "test-error",
    "collect": "collection-error",
    "flaky": "flaky-test",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Cause:
    """Problems that failed alike (``len(problems) >= GROUP_MIN``)."""

    problems: tuple[Problem, ...]

    @property
    def first(self) -> Problem:
        return self.problems[0]

    @property
    def headline(self) -> str:
        """``"60 tests errored in setup: OperationalError: ..."``."""
        p, n = self.first, len(self.problems)
        if p.kind == "collect":
            what = f"{n} files could not be collected"
        elif p.kind == "error":
            what = f"{n} tests errored in {p.when}"
        else:
            what = f"{n} tests failed"
        return f"{what}: {first_line(p.message)}"


def first_line(text: str) -> str:
    """The line that names the error (a SyntaxError's text starts with its location)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return text[:300]
    if lines[0].startswith('File "') and len(lines) > 1:
        return lines[-1][:300]
    return lines[0][:300]


def _key(p: Problem) -> tuple[Any, ...]:
    origin = (p.origin or {}).get("path"), (p.origin or {}).get("line")
    return (p.kind, p.when, p.exception, _ADDRESS.sub("0x?", p.message), origin)


def group(problems: Sequence[Problem]) -> list[Problem | Cause]:
    """Problems in their order, those sharing a cause (``GROUP_MIN`` or more) as one."""
    members: dict[tuple[Any, ...], list[Problem]] = {}
    for p in problems:
        if p.kind != "flaky":
            members.setdefault(_key(p), []).append(p)
    out: list[Problem | Cause] = []
    done: set[tuple[Any, ...]] = set()
    for p in problems:
        key = _key(p)
        same = members.get(key, [])
        if p.kind == "flaky" or len(same) < GROUP_MIN:
            out.append(p)
        elif key not in done:
            done.add(key)
            out.append(Cause(problems=tuple(same)))
    return out


def problem_finding(p: Problem) -> Finding:
    rule = _RULE[p.kind]
    if p.kind == "collect":
        message = f"{p.path or p.nodeid} could not be collected: {p.message}"
    elif p.kind == "error":
        message = f"{p.nodeid} errored in {p.when}: {p.message}"
    elif p.kind == "flaky":
        message = f"{p.nodeid} is flaky: {p.message}"
    else:
        message = f"{p.nodeid} failed: {p.message}"
        if p.attempts > 1:
            message = f"{p.nodeid} failed on all {p.attempts} attempts: {p.message}"
    data: dict[str, Any] = {"nodeid": p.nodeid, "when": p.when}
    if p.exception:
        data["exception"] = p.exception
    if p.origin:
        data["origin"] = dict(p.origin)
    if p.attempts > 1:
        data["attempts"] = p.attempts
    return RULES.finding(rule, message, path=p.path, line=p.line, check="pytest", data=data)


def cause_finding(cause: Cause) -> Finding:
    """One finding for a cause: at its crash site when that is the project's own file."""
    p = cause.first
    origin = dict(p.origin) if p.origin else None
    path, line = p.path, p.line
    for site in (origin, p.where):  # the crash site, else the deepest frame in the project
        if site and _inside(str(site.get("path") or "")):
            path, line = str(site["path"]), site.get("line")
            break
    nodeids = [q.nodeid for q in cause.problems]
    data: dict[str, Any] = {
        "count": len(nodeids),
        "nodeids": nodeids[:NODEIDS_KEPT],
        "when": p.when,
    }
    if len(nodeids) > NODEIDS_KEPT:
        data["more"] = len(nodeids) - NODEIDS_KEPT
    if p.exception:
        data["exception"] = p.exception
    if origin:
        data["origin"] = origin
    if p.kind == "collect":
        data["paths"] = sorted({q.path for q in cause.problems if q.path})[:NODEIDS_KEPT]
    return RULES.finding(
        _RULE[p.kind],
        f"{cause.headline}",
        path=path,
        line=line if isinstance(line, int) else None,
        check="pytest",
        data=data,
    )


def _inside(path: str) -> bool:
    """A root-relative path of a real file (not ``<frozen os>``, not outside the root)."""
    return bool(path) and not path.startswith(("/", "../", "<")) and path != ".."


def findings_for(problems: Sequence[Problem]) -> tuple[list[Finding], list[Cause]]:
    """The findings for ``problems`` and the causes among them (largest first)."""
    out: list[Finding] = []
    causes: list[Cause] = []
    for item in group(problems):
        if isinstance(item, Cause):
            out.append(cause_finding(item))
            causes.append(item)
        else:
            out.append(problem_finding(item))
    causes.sort(key=lambda c: -len(c.problems))
    return out, causes


def cause_step(cause: Cause, failing: int) -> str:
    """The next step that names a shared cause once."""
    p = cause.first
    origin = p.origin or {}
    where = f" (raised at {origin.get('path')}:{origin.get('line')})" if origin else ""
    share = f"{len(cause.problems)} of {plural(failing, 'failure')}"
    return (
        f"{share} have one cause: {first_line(p.message)}{where}; fix it first (a service "
        f"that is down, a missing environment variable or setting, a module that does not "
        f"import), then rerun: first seen in {p.nodeid or p.path}"
    )
