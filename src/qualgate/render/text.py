"""``--format text``: what a person reads in a terminal.

Blocking findings first, in ``path:line:col`` form so editors and terminals make them
clickable; then thresholds, checks, the one-line verdict and next steps. Control
characters from tools (ANSI escapes, carriage returns) are shown escaped, so a
hostile message cannot rewrite the terminal or hide lines.
"""

from __future__ import annotations

from qualgate.render._common import order_findings, visible_controls
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


def _finding(f: Finding) -> str:
    tag = f"{f.severity.value}{' (existing)' if f.existing else ''}"
    lines = [f"{safe(_location(f))}{tag} [{safe(f.rule)}] {safe(f.message)}"]
    if f.help:
        lines.append(f"    help: {safe(f.help)}")
    return "\n".join(lines)


def _threshold(t: Threshold) -> str:
    bounds = [
        f">= {t.min:g}" if t.min is not None else "",
        f"<= {t.max:g}" if t.max is not None else "",
    ]
    wanted = " and ".join(b for b in bounds if b) or "a value"
    actual = "n/a" if t.actual is None else f"{t.actual:g}"
    return f"  {'ok  ' if t.ok else 'FAIL'} {safe(t.name)} {actual} (want {wanted})"


def render(verdict: Verdict) -> str:
    lines: list[str] = []
    ordered = order_findings(verdict.findings)
    lines += [_finding(f) for f in ordered[:MAX_FINDINGS]]
    if len(ordered) > MAX_FINDINGS:
        rest = len(ordered) - MAX_FINDINGS
        lines.append(f"... and {plural(rest, 'more finding')} (see --format json)")
    if ordered:
        lines.append("")
    lines += [_threshold(t) for t in verdict.thresholds]
    for c in verdict.checks:
        extra = f" - {safe(c.summary)}" if c.summary else ""
        version = f" {safe(c.tool_version)}" if c.tool_version else ""
        lines.append(
            f"  {c.status.value:<7} {safe(c.name)}{version} ({c.duration_ms} ms, "
            f"{plural(c.findings, 'finding')}){extra}"
        )
    if verdict.thresholds or verdict.checks:
        lines.append("")
    lines.append(
        f"{_STATUS_WORD[verdict.status]} {verdict.gate}: {safe(verdict.summary)} "
        f"({verdict.duration_ms} ms)"
    )
    lines += [f"  -> {safe(step)}" for step in verdict.next_steps]
    return "\n".join(lines) + "\n"
