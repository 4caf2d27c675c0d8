"""``--format gitlab``: a GitLab Code Quality report (``artifacts:reports:codequality``).

A JSON array of Code Climate issues, limited to what GitLab reads: ``description``,
``check_name``, ``fingerprint``, ``severity`` and ``location.path`` /
``location.lines.begin`` (plus ``type`` and ``categories``, which the Code Climate
specification requires of an issue). GitLab validates each issue and stops reading the
report at the first invalid one, and keeps one issue per fingerprint, so:

- every issue has a location with a path and a line: a finding without a path is anchored
  at the project's build file (as for SARIF), one without a line at line 1;
- paths are relative to the repository root (``CI_PROJECT_DIR``), also when the project is a
  sub-folder of a monorepo;
- fingerprints are the verdict's own (stable across runs, so the merge request widget can
  tell new issues from fixed ones), made unique when two findings share one.

Existing findings (off the lines changed since ``--base``) are kept: GitLab compares the
branch's report with the target branch's itself. What decides the status without a
finding (the gate could not check, a check failed without findings, a failed threshold)
becomes an issue too, so an ``error`` verdict is never an empty, "clean" report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from qualgate.render._common import one_line, order_findings, repo_root, wanted
from qualgate.render.sarif import owner, project_file, security_severity
from qualgate.verdict import Finding, Severity, Status, Verdict

_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.NOTE: "info"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """Something that decides the status without being a finding."""

    gate: str  # in a combined (`all`) verdict, the gate it is about
    kind: str  # gate-error | check-error | check-failed | threshold
    severity: Severity
    message: str


def verdict_problems(verdict: Verdict) -> Iterator[Problem]:
    """Why the gate errored or failed when its findings alone do not say it.

    In a combined verdict each check is a gate, each finding's check starts with its gate
    (``lint-format/ruff-check``) and each threshold's name too (``run-tests:coverage``).
    """
    combined = verdict.gate == "all"
    errored = [c for c in verdict.checks if c.status is Status.ERROR]
    if verdict.status is Status.ERROR and not (combined and errored):
        text = " ".join((verdict.summary, *(f"({step})" for step in verdict.next_steps)))
        yield Problem(gate=verdict.gate, kind="gate-error", severity=Severity.ERROR, message=text)
    blocking = [f.check or "" for f in verdict.findings if f.blocking]
    for check in verdict.checks:
        gate = check.name if combined else verdict.gate
        if check.status is Status.ERROR:
            kind, verb = ("gate-error", "check") if combined else ("check-error", "run")
            text = f"{check.name} could not {verb}: {check.summary or 'errored'}"
            yield Problem(gate=gate, kind=kind, severity=Severity.ERROR, message=text)
        elif check.status is Status.FAIL and not any(
            c == check.name or (combined and c.startswith(check.name + "/")) for c in blocking
        ):
            text = f"{check.name} failed: {check.summary or 'failed'}"
            yield Problem(gate=gate, kind="check-failed", severity=Severity.ERROR, message=text)
    for t in verdict.thresholds:
        if t.ok:
            continue
        actual = "unknown" if t.actual is None else f"{t.actual:g}"
        text = f"{t.name} is {actual}, wanted {wanted(t) or 'a value'}"
        gate = t.name.split(":", 1)[0] if combined and ":" in t.name else verdict.gate
        yield Problem(gate=gate, kind="threshold", severity=Severity.ERROR, message=text)


def _severity(verdict: Verdict, f: Finding) -> str:
    score = security_severity(verdict.gate, f)
    if score is None:
        return _SEVERITY[f.severity]
    if score >= 9.0:
        return "blocker"
    if score >= 7.0:
        return "critical"
    return "major" if score >= 4.0 else "minor"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "replace")).hexdigest()


class _Fingerprints:
    """Unique fingerprints: GitLab keeps only one issue per fingerprint."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def unique(self, fingerprint: str) -> str:
        count = self.seen.get(fingerprint, 0)
        self.seen[fingerprint] = count + 1
        return fingerprint if count == 0 else _digest(fingerprint, str(count))


def _lines(f: Finding) -> dict[str, int]:
    if not (f.path and f.line):
        return {"begin": 1}
    lines = {"begin": f.line}
    if f.end_line and f.end_line > f.line:
        lines["end"] = f.end_line
    return lines


def issues(verdict: Verdict) -> list[dict[str, Any]]:
    """The Code Quality issues of a verdict, as JSON-ready dicts."""
    prefix = repo_root(verdict).prefix
    anchor = prefix + project_file(verdict)
    fingerprints = _Fingerprints()
    out: list[dict[str, Any]] = []
    for p in verdict_problems(verdict):
        out.append(
            {
                "type": "issue",
                "check_name": f"{p.gate}/{p.kind}",
                "description": f"qualgate {p.gate}: {one_line(p.message)}",
                "categories": ["Bug Risk"],
                "severity": "critical" if p.kind.endswith("error") else "major",
                "fingerprint": fingerprints.unique(_digest(p.gate, p.kind, p.message)),
                "location": {"path": anchor, "lines": {"begin": 1}},
            }
        )
    for f in order_findings(verdict.findings):
        security = security_severity(verdict.gate, f) is not None
        fingerprint = (f.fingerprint or "").removeprefix("sha256:") or _digest(
            verdict.gate, f.check or "", f.rule, f.path or "", str(f.line or 0), f.message
        )
        out.append(
            {
                "type": "issue",
                "check_name": f"{owner(verdict.gate, f) or verdict.gate}/{f.rule}",
                "description": one_line(f.message) or f.rule,
                "categories": ["Security"] if security else ["Bug Risk"],
                "severity": _severity(verdict, f),
                "fingerprint": fingerprints.unique(fingerprint),
                "location": {
                    "path": prefix + f.path if f.path else anchor,
                    "lines": _lines(f),
                },
            }
        )
    return out


def render(verdict: Verdict) -> str:
    return json.dumps(issues(verdict), ensure_ascii=False, indent=1) + "\n"
