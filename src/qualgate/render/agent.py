"""``--format agent``: the compact rendering a coding agent acts on.

What blocks, and nothing else: one line per blocking finding as ``path:line rule message``
(then failed thresholds and gates that could not check), then the fix commands, then the
command that reproduces the run. The whole text stays under `MAX_CHARS` (Claude Code cuts
hook output at 10,000 characters; the agent hooks send this text as their reason), with the
header, the fixes and the reproduce line always kept and the findings trimmed to fit.
"""

from __future__ import annotations

from qualgate.render._common import order_findings, visible_controls, wanted
from qualgate.verdict import Finding, Status, Threshold, Verdict

MAX_CHARS = 8000
# One line never takes more than this (a 50 kB assertion message would crowd out the rest).
MAX_LINE = 400
_WORD = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.ERROR: "ERROR", Status.SKIPPED: "SKIPPED"}


def line_of(text: str, limit: int = MAX_LINE) -> str:
    """``text`` on one line, control characters visible, at most ``limit`` characters."""
    flat = " ".join(visible_controls(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _finding(f: Finding) -> str:
    where = ""
    if f.path:
        where = f"{f.path}:{f.line}" if f.line else f.path
    gate = ""
    if f.check and "/" in f.check:  # a combined verdict: say which gate found it
        gate = f"[{f.check.split('/', 1)[0]}] "
    return line_of(f"{where} {gate}{f.rule} {f.message}".strip())


def _threshold(t: Threshold) -> str:
    actual = "n/a" if t.actual is None else f"{t.actual:g}"
    return line_of(f"threshold {t.name} is {actual}, wanted {wanted(t) or 'a value'}")


def _problems(verdict: Verdict) -> list[str]:
    """Lines for what decides the status: gates that errored, blocking findings, thresholds."""
    lines: list[str] = []
    if verdict.gate == "all":
        lines += [
            line_of(f"{c.name}: {_WORD[c.status]} {c.summary or ''}")
            for c in verdict.checks
            if c.status in (Status.ERROR, Status.FAIL)
        ]
    lines += [_finding(f) for f in order_findings(verdict.findings) if f.blocking]
    lines += [_threshold(t) for t in verdict.thresholds if not t.ok]
    return lines


def _tail(verdict: Verdict) -> list[str]:
    lines: list[str] = []
    if verdict.next_steps and verdict.status is not Status.PASS:
        lines.append("fix:")
        lines += [line_of(f"- {step}") for step in verdict.next_steps[:10]]
    if verdict.gate == "all" and verdict.status in (Status.FAIL, Status.ERROR):
        root = verdict.project.root or "."
        lines += [
            line_of(f"rerun one gate: qualgate {c.name} {root}")
            for c in verdict.checks
            if c.status in (Status.ERROR, Status.FAIL)
        ][:10]
    if verdict.reproduce:
        lines.append(line_of(f"reproduce: {verdict.reproduce}", 1000))
    return lines


def render(verdict: Verdict, limit: int = MAX_CHARS) -> str:
    """The compact rendering, at most ``limit`` characters (the hook puts a line before it)."""
    header = line_of(f"qualgate {verdict.gate}: {_WORD[verdict.status]} - {verdict.summary}")
    if verdict.status in (Status.PASS, Status.SKIPPED):
        return header + "\n"
    tail = _tail(verdict)
    budget = limit - len(header) - sum(len(t) + 1 for t in tail) - 2
    problems = _problems(verdict)
    shown: list[str] = []
    for index, line in enumerate(problems):
        # Room for the "... and N more" note, unless this is the last line.
        reserve = 0 if index == len(problems) - 1 else 80
        if len(line) + 1 + reserve > budget:
            shown.append(f"... and {len(problems) - index} more (see the reproduce command)")
            break
        shown.append(line)
        budget -= len(line) + 1
    text = "\n".join([header, *shown, *tail]) + "\n"
    return text[:limit]
