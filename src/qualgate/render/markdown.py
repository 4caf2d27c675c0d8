"""``--format markdown``: a pull-request comment (also the GitHub step summary).

The first line is a hidden ``<!-- qualgate:<gate> -->`` marker, so a bot can find and
edit its previous comment instead of adding one per run. Every piece of text that
comes from a tool or a user's file is escaped: ``|`` would break the tables, and
markdown or HTML in a message (``*``, ``[x](y)``, ``<details>``, ``<!--``) would change
what the comment shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from qualgate.render._common import JOINER, order_findings, visible_controls, wanted
from qualgate.verdict import Check, Finding, Severity, Status, Threshold, Verdict, plural

MAX_FINDINGS = 50
# Smallest budget `render_limited` can honour: heading, marker and the truncation note.
MIN_BUDGET = 512

_STATUS_ICON = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.ERROR: "🛑",
    Status.SKIPPED: "⏭️",
}
_SEVERITY_ICON = {Severity.ERROR: "🔴", Severity.WARNING: "🟡", Severity.NOTE: "🔵"}
# ASCII punctuation that means something inline in GitHub markdown or HTML.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
_URL = re.compile(r"^https?://\S+$")
# A single-backtick code span with content: `name`.
_CODE_SPAN = re.compile(r"(?<!`)`([^`]+)`(?!`)")
_TRUNCATED = "\n\n> **Truncated:** this summary was cut to stay within GitHub's size limit; "


def marker(gate: str) -> str:
    """The hidden comment that identifies this gate's PR comment across re-runs."""
    return f"<!-- qualgate:{gate} -->"


# What GitHub turns into live links and notifications in plain text: @mentions, team
# mentions, and bare URLs (GFM autolinks). A word joiner keeps them as plain text.
_LIVE = re.compile(r"@(?=[A-Za-z0-9])|(?<=[A-Za-z]):(?=//)|(?i:(?<=\bwww))\.")


def _escape_plain(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    return _LIVE.sub(lambda m: m.group() + JOINER if m.group() == "@" else JOINER + m.group(), text)


def _inline(line: str, *, table: bool = True) -> str:
    """One line: paired `backtick spans` stay code (inert, so safe), the rest is escaped."""
    out: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(line):
        out += [_escape_plain(line[pos : match.start()]), code(match.group(1), table=table)]
        pos = match.end()
    out.append(_escape_plain(line[pos:]))
    return "".join(out)


def escape(text: str) -> str:
    """``text`` as literal inline markdown: metacharacters escaped, lines joined by <br>.

    Tools write identifiers in backticks (ruff: "`os` imported but unused"); such spans
    are kept as code, which GitHub shows without interpreting anything inside.
    """
    lines = [_inline(visible_controls(line)) for line in text.splitlines() if line.strip()]
    return "<br>".join(lines) or " "


def code(text: str, *, table: bool = True) -> str:
    """``text`` as an inline code span that survives backticks (and pipes in a table).

    In a GFM table a ``|`` ends the cell even inside a code span unless escaped; outside
    a table the backslash would show, so it is added only for table cells.
    """
    text = visible_controls(" ".join(text.splitlines()))
    if table:
        text = text.replace("|", "\\|")
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def prose(text: str) -> str:
    """Gate-written text (a next step) on one line, with its `code` spans kept."""
    return _inline(visible_controls(" ".join(text.splitlines())), table=False)


def _link_url(url: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in "()<> " else c for c in url)


def _location(f: Finding) -> str:
    if not f.path:
        return "(project)"
    text = f.path
    if f.line:
        text += f":{f.line}"
        if f.column:
            text += f":{f.column}"
    return code(text)


def _rule(f: Finding) -> str:
    if f.help and _URL.match(f.help):
        return f"[{escape(f.rule)}]({_link_url(f.help)})"
    return code(f.rule)


def _message(f: Finding) -> str:
    text = escape(f.message)
    if f.help and not _URL.match(f.help):
        text += f"<br>{escape(f.help)}"
    return text


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def _program(command: tuple[str, ...] | None) -> str:
    """The tool a command runs: ``ruff`` for ``.venv/bin/ruff``, ``mypy`` for ``python -m mypy``,
    ``pytest`` for ``python -m coverage run -m pytest`` (the innermost module runs the check).

    A Python interpreter or script running code of its own names no tool: the check's
    version belongs to what that code drives (alembic), so only the version is shown.
    """
    if not command:
        return ""
    modules = [command[i + 1] for i, word in enumerate(command[:-1]) if word == "-m"]
    if modules:
        return modules[-1]
    name = PurePosixPath(command[0].replace("\\", "/")).name
    if name.startswith("python") or name.endswith(".py"):
        return ""
    return name


def _check_rows(checks: Iterable[Check]) -> list[str]:
    rows = ["| Check | Status | Findings | Time | Tool |", "| --- | --- | ---: | ---: | --- |"]
    for c in checks:
        program = _program(c.command)
        tool = " ".join(x for x in (program, c.tool_version or "") if x)
        note = f"<br>{escape(c.summary)}" if c.summary else ""
        rows.append(
            f"| {escape(c.name)}{note} | {_STATUS_ICON[c.status]} {c.status.value} | "
            f"{c.findings} | {c.duration_ms} ms | {code(tool) if tool else ''} |"
        )
    return rows


def _threshold_rows(thresholds: Iterable[Threshold]) -> list[str]:
    rows = ["| Threshold | Actual | Wanted | Result |", "| --- | ---: | --- | --- |"]
    for t in thresholds:
        result = "✅ ok" if t.ok else "❌ failed"
        asked = wanted(t, "≥", "≤")
        rows.append(f"| {escape(t.name)} | {_number(t.actual)} | {asked} | {result} |")
    return rows


def _finding_rows(findings: list[Finding]) -> list[str]:
    rows = ["| Severity | Location | Rule | Message |", "| --- | --- | --- | --- |"]
    for f in findings:
        severity = f"{_SEVERITY_ICON[f.severity]} {f.severity.value}"
        if f.existing:
            severity += " (existing)"
        rows.append(f"| {severity} | {_location(f)} | {_rule(f)} | {_message(f)} |")
    return rows


def _metric_value(value: Any) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return code(text if len(text) <= 200 else text[:199] + "…")


def _details(verdict: Verdict, metrics: Mapping[str, Any]) -> list[str]:
    lines = ["<details>", "<summary>Details</summary>", ""]
    if verdict.reproduce:
        lines.append(f"- Reproduce: {code(verdict.reproduce, table=False)}")
    project = verdict.project
    if project.commit:
        dirty = " (uncommitted changes)" if project.dirty else ""
        lines.append(f"- Commit: {code(project.commit[:12], table=False)}{dirty}")
    if project.base:
        lines.append(f"- Judged against base: {code(project.base, table=False)}")
    version = f" (qualgate {escape(verdict.tool.version)})" if verdict.tool.version else ""
    lines.append(f"- Duration: {verdict.duration_ms} ms{version}")
    if metrics:
        lines += ["", "| Metric | Value |", "| --- | --- |"]
        lines += [f"| {escape(str(k))} | {_metric_value(v)} |" for k, v in metrics.items()]
    lines += ["", "</details>"]
    return lines


def _render(verdict: Verdict, max_findings: int) -> str:
    icon = _STATUS_ICON[verdict.status]
    lines = [
        marker(verdict.gate),
        f"### {icon} qualgate {escape(verdict.gate)}: {verdict.status.value}",
        "",
        escape(verdict.summary),
    ]
    if verdict.checks:
        lines += ["", *_check_rows(verdict.checks)]
    if verdict.thresholds:
        lines += ["", "**Thresholds**", "", *_threshold_rows(verdict.thresholds)]
    ordered = order_findings(verdict.findings)
    if ordered:
        shown = ordered[:max_findings]
        title = f"**Findings** ({len(ordered)})"
        if len(shown) < len(ordered):
            title = f"**Findings** (first {len(shown)} of {len(ordered)}, blocking first)"
        lines += ["", title, ""]
        if shown:
            lines += _finding_rows(shown)
        if len(shown) < len(ordered):
            rest = len(ordered) - len(shown)
            lines += [
                "",
                f"…and {plural(rest, 'more finding')}: see the JSON verdict "
                f"(`.qualgate/verdicts/{verdict.gate}.json`) or the SARIF report.",
            ]
    if verdict.next_steps:
        lines += ["", "**Next steps**", ""]
        lines += [f"- {prose(step)}" for step in verdict.next_steps]
    lines += ["", *_details(verdict, verdict.metrics)]
    return "\n".join(lines) + "\n"


def render(verdict: Verdict) -> str:
    return _render(verdict, MAX_FINDINGS)


def render_limited(verdict: Verdict, max_bytes: int) -> str:
    """The rendering in at most ``max_bytes`` UTF-8 bytes (``max_bytes >= MIN_BUDGET``).

    Fewer findings are listed first; if the text is still too long (a huge summary or
    metrics), it is cut at a line boundary, open ``<details>`` are closed and a note
    says it was truncated.
    """
    count = MAX_FINDINGS
    while True:
        text = _render(verdict, count)
        if len(text.encode()) <= max_bytes:
            return text
        if count == 0:
            break
        count //= 2
    note = _TRUNCATED + f"the full verdict is in `.qualgate/verdicts/{verdict.gate}.json`.\n"
    room = max(0, max_bytes - len(note.encode()) - len("\n</details>"))
    cut = text.encode()[:room].decode("utf-8", errors="ignore")
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
    if cut.count("<details>") > cut.count("</details>"):
        cut += "\n</details>"
    return cut + note
