"""``--format junit``: JUnit XML, the test report format every CI system reads.

``<testsuites>`` holds one ``<testsuite>`` for the verdict, with one ``<testcase>`` per
check, per threshold and per blocking finding (an ``error`` finding on a changed
line), so a CI test view lists each thing to fix. A failing one has ``<failure>``; a
check that could not run, or an ``error`` verdict, has ``<error>``; a skipped one has
``<skipped>``. A verdict with no checks still yields one test case for the gate itself
(CI systems treat an empty report as a broken one).

Text from tools can hold characters XML 1.0 forbids (ANSI escapes, NUL); they are
written as visible ``\\xNN`` escapes so the file always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from qualgate.render._common import order_findings, wanted
from qualgate.verdict import Finding, Status, Verdict

# Everything outside XML 1.0's Char production (tab, LF, CR and the printable ranges).
_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MAX_TEXT = 64 * 1024  # per element: a finding list in a failure stays readable


def clean(text: str) -> str:
    """``text`` with characters XML 1.0 cannot hold replaced by ``\\xNN`` / ``\\uNNNN``."""

    def visible(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _ILLEGAL.sub(visible, text)


@dataclass(kw_only=True, slots=True)
class _Counts:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}"


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text:
        node.text = clean(text[:_MAX_TEXT])
    return node


def _case(
    suite: ET.Element,
    counts: _Counts,
    *,
    classname: str,
    name: str,
    status: Status,
    message: str,
    text: str = "",
    time_ms: int = 0,
    kind: str = "",
) -> None:
    case = _element(suite, "testcase", classname=classname, name=name, time=_seconds(time_ms))
    counts.tests += 1
    if status is Status.FAIL:
        counts.failures += 1
        _element(case, "failure", text or message, message=message, type=kind or "failure")
    elif status is Status.ERROR:
        counts.errors += 1
        _element(case, "error", text or message, message=message, type=kind or "error")
    elif status is Status.SKIPPED:
        counts.skipped += 1
        _element(case, "skipped", message=message)


def _where(f: Finding) -> str:
    if not f.path:
        return ""
    text = f.path
    if f.line:
        text += f":{f.line}"
        if f.column:
            text += f":{f.column}"
    return text


def _finding_text(f: Finding) -> str:
    where = _where(f)
    head = f"{where}: " if where else ""
    text = f"{head}{f.rule} {f.message}"
    if f.help:
        text += f"\nhelp: {f.help}"
    return text


def render(verdict: Verdict) -> str:
    gate = verdict.gate
    base_class = f"qualgate.{gate}"
    root = ET.Element("testsuites", name="qualgate")
    suite = _element(root, "testsuite", name=base_class, timestamp=verdict.started_at.rstrip("Z"))
    if not verdict.started_at:
        del suite.attrib["timestamp"]
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("gate", gate),
        ("status", verdict.status.value),
        ("summary", verdict.summary),
        ("qualgate.version", verdict.tool.version),
        ("commit", verdict.project.commit or ""),
        ("base", verdict.project.base or ""),
        ("reproduce", verdict.reproduce),
    ):
        if value:
            _element(props, "property", name=key, value=value)
    counts = _Counts()
    blocking = [f for f in order_findings(verdict.findings) if f.blocking]
    for check in verdict.checks:
        own = [f for f in blocking if f.check == check.name]
        message = check.summary or f"{check.status.value} ({check.findings} findings)"
        text = "\n".join(_finding_text(f) for f in own) or message
        _case(
            suite,
            counts,
            classname=base_class,
            name=check.name,
            status=check.status,
            message=message,
            text=text,
            time_ms=check.duration_ms,
        )
    check_errored = any(c.status is Status.ERROR for c in verdict.checks)
    if not verdict.checks or (verdict.status is Status.ERROR and not check_errored):
        reason = "\n".join((verdict.summary, *verdict.next_steps))
        _case(
            suite,
            counts,
            classname=base_class,
            name=gate,
            status=verdict.status,
            message=verdict.summary,
            text=reason,
            time_ms=verdict.duration_ms,
        )
    for t in verdict.thresholds:
        asked = wanted(t)
        actual = "n/a" if t.actual is None else f"{t.actual:g}"
        _case(
            suite,
            counts,
            classname=f"{base_class}.thresholds",
            name=f"{t.name} {asked}".strip(),
            status=Status.PASS if t.ok else Status.FAIL,
            message=f"{t.name} is {actual}, wanted {asked or 'a value'}",
            kind="threshold",
        )
    for f in blocking:
        where = _where(f)
        _case(
            suite,
            counts,
            classname=f.path or f.check or base_class,
            name=f"{f.rule} {where}".strip(),
            status=Status.FAIL,
            message=f.message,
            text=_finding_text(f),
            kind=f.rule,
        )
    _element(suite, "system-out", "\n".join((verdict.summary, *verdict.next_steps)))
    for node in (suite, root):
        node.set("tests", str(counts.tests))
        node.set("failures", str(counts.failures))
        node.set("errors", str(counts.errors))
        node.set("skipped", str(counts.skipped))
        node.set("time", _seconds(verdict.duration_ms))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
