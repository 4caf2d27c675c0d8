"""``--format github``: GitHub Actions workflow commands, and the step summary.

Each finding becomes an ``::error`` / ``::warning`` / ``::notice`` command, which GitHub
turns into an annotation on the file and line. What decides the status comes first
(the verdict's own error, failed checks and thresholds, then findings on changed lines
from errors to notes, then existing findings), because GitHub shows only the first
annotations it receives: 10 of each kind per step and 50 per job. We therefore emit at
most `MAX_ANNOTATIONS` (the job ceiling: more can never become annotations and only
flood the log) and close with a ``::notice`` saying how many were left out, then a
plain one-line summary for the log reader.

`append_step_summary` appends the markdown rendering to ``$GITHUB_STEP_SUMMARY``,
keeping what it adds within GitHub's 1 MiB limit for a step's summary.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from qualgate.render import markdown
from qualgate.render._common import one_line, order_findings, repo_root, visible_controls, wanted
from qualgate.verdict import Finding, Severity, Status, Verdict

MAX_ANNOTATIONS = 50
STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes; GitHub rejects a larger step summary
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message the way the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value (``file=``, ``title=``...): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, properties: Mapping[str, str | int] | None = None) -> str:
    """One workflow command line: ``::name key=value,...::message``.

    Control characters other than CR/LF (which are escaped) are shown as ``\\xNN``:
    the runner prints the message into the log, where an ANSI escape would recolour it.
    """
    message = visible_controls(message)
    properties = {k: visible_controls(str(v)) for k, v in (properties or {}).items()}
    props = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in (properties or {}).items()
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


@dataclass(frozen=True, kw_only=True, slots=True)
class _Annotation:
    level: str
    message: str
    properties: dict[str, str | int]


def _location(f: Finding, prefix: str) -> dict[str, str | int]:
    """``file``/``line``/``col``/``endLine``/``endColumn``, each only when known and valid."""
    props: dict[str, str | int] = {}
    if not f.path:
        return props
    props["file"] = prefix + f.path
    if not f.line:
        return props
    props["line"] = f.line
    end_line = f.end_line if f.end_line and f.end_line >= f.line else None
    if end_line is not None:
        props["endLine"] = end_line
    if f.column:
        props["col"] = f.column
        same_line = end_line is None or end_line == f.line
        if f.end_column and (not same_line or f.end_column >= f.column):
            props["endColumn"] = f.end_column
    return props


def _finding_annotation(verdict: Verdict, f: Finding, prefix: str) -> _Annotation:
    props = _location(f, prefix)
    props["title"] = f"qualgate {verdict.gate}: {f.rule}" + (" (existing)" if f.existing else "")
    message = f.message + (f"\n{f.help}" if f.help else "")
    return _Annotation(level=_COMMAND[f.severity], message=message, properties=props)


def _verdict_annotations(verdict: Verdict) -> list[_Annotation]:
    """Why the gate errored or failed when findings alone do not say it."""
    title = f"qualgate {verdict.gate}"
    out: list[_Annotation] = []
    if verdict.status is Status.ERROR:
        text = "\n".join((verdict.summary, *verdict.next_steps))
        out.append(_Annotation(level="error", message=text, properties={"title": title}))
    # Under `all` a finding's check is `gate/check` while the failed check is the gate.
    with_findings = {f.check for f in verdict.findings if f.blocking}
    with_findings |= {c.split("/", 1)[0] for c in with_findings if c and "/" in c}
    for check in verdict.checks:
        if check.status is Status.ERROR:
            text = check.summary or "the check could not run"
            props: dict[str, str | int] = {"title": f"{title}: {check.name} errored"}
            out.append(_Annotation(level="error", message=text, properties=props))
        elif check.status is Status.FAIL and check.name not in with_findings:
            text = check.summary or "the check failed"
            props = {"title": f"{title}: {check.name} failed"}
            out.append(_Annotation(level="error", message=text, properties=props))
    for t in verdict.thresholds:
        if t.ok:
            continue
        actual = "unknown" if t.actual is None else f"{t.actual:g}"
        text = f"{t.name} is {actual}, wanted {wanted(t) or 'a value'}"
        out.append(
            _Annotation(level="error", message=text, properties={"title": f"{title}: threshold"})
        )
    return out


def render(verdict: Verdict) -> str:
    prefix = repo_root(verdict).prefix if verdict.findings else ""
    annotations = _verdict_annotations(verdict) + [
        _finding_annotation(verdict, f, prefix) for f in order_findings(verdict.findings)
    ]
    lines = [command(a.level, a.message, a.properties) for a in annotations[:MAX_ANNOTATIONS]]
    hidden = len(annotations) - MAX_ANNOTATIONS
    if hidden > 0:
        lines.append(
            command(
                "notice",
                f"{hidden} more annotations not shown (GitHub shows at most {MAX_ANNOTATIONS} "
                "per job); see the step summary or the JSON verdict for all of them",
                {"title": f"qualgate {verdict.gate}"},
            )
        )
    summary = visible_controls(one_line(verdict.summary))
    lines.append(f"qualgate {verdict.gate}: {verdict.status.value} - {summary}")
    return "\n".join(lines) + "\n"


def append_step_summary(verdict: Verdict, path: Path) -> None:
    """Append the markdown summary to ``path`` (``$GITHUB_STEP_SUMMARY``).

    The file may already hold other steps' summaries of the same step (``qualgate all``,
    several gates in one ``run:``); what we add keeps the whole file under GitHub's
    1 MiB limit, trimming findings first and then cutting with a note. A summary that
    cannot be written is reported on stderr and never fails the gate.
    """
    try:
        used = path.stat().st_size
    except OSError:
        used = 0
    separator = "\n" if used else ""
    budget = STEP_SUMMARY_LIMIT - 1 - used - len(separator)
    if budget < markdown.MIN_BUDGET:
        sys.stderr.write(
            f"qualgate: {path} is already near GitHub's 1 MiB step-summary limit; "
            f"the {verdict.gate} summary was not added\n"
        )
        return
    text = markdown.render_limited(verdict, budget)
    try:
        with path.open("a", encoding="utf-8", newline="") as handle:
            handle.write(separator + text)
    except OSError as exc:
        sys.stderr.write(f"qualgate: could not write the step summary {path}: {exc}\n")


def publish(verdict: Verdict, environ: Mapping[str, str]) -> None:
    """The publish hook: on a GitHub runner, also append the step summary."""
    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        append_step_summary(verdict, Path(summary_file))
