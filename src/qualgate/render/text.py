"""``--format text``: what a person reads in a terminal.

Blocking findings first, in ``path:line:col`` form so editors and terminals make them
clickable; then thresholds, checks, the one-line verdict and next steps. Control
characters from tools (ANSI escapes, carriage returns) are shown escaped, so a
hostile message cannot rewrite the terminal or hide lines.
"""

from __future__ import annotations

from qualgate.render._common import order_findings, visible_controls, wanted
from qualgate.verdict import Finding, Status, Threshold, Verdict, plural

MAX_FINDINGS = 200
_STATUS_WORD = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIPPED",
}


def safe(text: str) -> str:
    """``text`` with control characters made visible; extra lines indented under the first.

    A lone carriage return would move the cursor back over the line, so it is shown too.
    """
    text = visible_controls(text.replace("\r\n", "\n")).replace("\r", "\\x0d")
    return text.replace("\n", "\n    ")


def _location(f: Finding) -> str:
    if not f.path:
        return ""
    text = f.path
    if f.line:
        text += f":{f.line}"
        if f.column:
            text += f":{f.column}"
    return text + ": "


def _gate_of(f: Finding) -> str:
    """The gate of a finding in a combined verdict (its check is ``gate/check``)."""
    return (f.check or "").split("/", 1)[0]


def _finding(f: Finding, gate: str, seen_help: set[tuple[str, str]]) -> str:
    tag = f"{f.severity.value}{' (existing)' if f.existing else ''}"
    rule = f"{gate} {f.rule}" if gate else f.rule
    lines = [f"{safe(_location(f))}{tag} [{safe(rule)}] {safe(f.message)}"]
    # One help line per rule: the same link under every finding says nothing new.
    if f.help and (gate, f.rule) not in seen_help:
        seen_help.add((gate, f.rule))
        lines.append(f"    help: {safe(f.help)}")
    return "\n".join(lines)


def _threshold(t: Threshold, name: str | None = None) -> str:
    actual = "n/a" if t.actual is None else f"{t.actual:g}"
    asked = wanted(t) or "a value"
    return f"  {'ok  ' if t.ok else 'FAIL'} {safe(name or t.name)} {actual} (want {asked})"


def _blocks(verdict: Verdict) -> list[str]:
    """Findings (at most MAX_FINDINGS) and thresholds; for ``all``, one block per gate."""
    combined = verdict.gate == "all"
    ordered = order_findings(verdict.findings)
    shown = ordered[:MAX_FINDINGS]
    seen_help: set[tuple[str, str]] = set()
    if not combined:
        lines = [_finding(f, "", seen_help) for f in shown]
        if lines:
            lines.append("")
        lines += [_threshold(t) for t in verdict.thresholds]
        return _more(lines, len(ordered))
    # Every finding is shown: those of no known gate in a last block without a heading.
    named = [t.name.split(":", 1)[0] for t in verdict.thresholds if ":" in t.name]
    gates = list(
        dict.fromkeys([c.name for c in verdict.checks] + named + [_gate_of(f) for f in shown])
    )
    gates.sort(key=lambda g: g == "")
    lines = []
    for gate in gates:
        mine = [f for f in shown if _gate_of(f) == gate]
        thresholds = [
            t
            for t in verdict.thresholds
            if (t.name.startswith(f"{gate}:") if gate else ":" not in t.name)
        ]
        if not mine and not thresholds:
            continue
        if gate:
            lines.append(f"{gate}:")
        lines += [_finding(f, gate, seen_help) for f in mine]
        lines += [_threshold(t, t.name.split(":", 1)[-1]) for t in thresholds]
        lines.append("")
    return _more(lines, len(ordered))


def _more(lines: list[str], total: int) -> list[str]:
    if total > MAX_FINDINGS:
        rest = total - MAX_FINDINGS
        lines.append(f"... and {plural(rest, 'more finding')} (see --format json)")
    return lines


def render(verdict: Verdict) -> str:
    lines = _blocks(verdict)
    if lines and lines[-1] != "":
        lines.append("")
    for c in verdict.checks:
        extra = f" - {safe(c.summary)}" if c.summary else ""
        version = f" {safe(c.tool_version)}" if c.tool_version else ""
        lines.append(
            f"  {c.status.value:<7} {safe(c.name)}{version} ({c.duration_ms} ms, "
            f"{plural(c.findings, 'finding')}){extra}"
        )
    if verdict.checks:
        lines.append("")
    # A replayed answer says so: its checks' times are those of the run it replays.
    cached = ", from the result cache; --no-cache runs it again" if verdict.cached else ""
    lines.append(
        f"{_STATUS_WORD[verdict.status]} {verdict.gate}: {safe(verdict.summary)} "
        f"({verdict.duration_ms} ms{cached})"
    )
    lines += [f"  -> {safe(step)}" for step in verdict.next_steps]
    return "\n".join(lines) + "\n"
