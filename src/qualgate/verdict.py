"""The verdict: the one model every gate returns and every renderer reads.

A verdict is plain data (frozen dataclasses and enums). `to_dict` produces the JSON
document described by ``schemas/verdict-v1.schema.json``; `from_dict` reads it back, so
``qualgate all``, ``qualgate merge`` and later tools can consume verdict files.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


class Status(str, enum.Enum):
    """Outcome of a gate or of one of its checks."""

    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def exit_code(self) -> int:
        """The process exit code agents rely on: 0 pass/skipped, 1 fail, 2 error."""
        if self is Status.FAIL:
            return 1
        if self is Status.ERROR:
            return 2
        return 0


class Severity(str, enum.Enum):
    """How much a finding matters: only ``error`` findings make a gate fail."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One thing a user should look at, located in a file when it can be."""

    rule: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    check: str | None = None
    fixable: bool = False
    fingerprint: str | None = None
    help: str | None = None
    # True when the finding predates --base: reported, but it does not decide the status.
    existing: bool = False
    # Gate-specific structured details (node id, aliases, fixed versions, JSON pointer...).
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        """Whether this finding makes the gate fail."""
        return self.severity is Severity.ERROR and not self.existing


@dataclass(frozen=True, kw_only=True, slots=True)
class Check:
    """One step of a gate (a tool run, a phase), with its own status."""

    name: str
    status: Status
    duration_ms: int = 0
    command: tuple[str, ...] | None = None
    tool_version: str | None = None
    findings: int = 0
    summary: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Threshold:
    """A numeric rule such as ``coverage.total >= 80``."""

    name: str
    actual: float | None
    ok: bool
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Tool:
    name: str = "qualgate"
    version: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Project:
    root: str = "."
    commit: str | None = None
    dirty: bool | None = None
    base: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    """The answer of one gate run.

    Gates fill in the judgement (status, summary, checks, metrics, thresholds,
    findings, next_steps); the runner fills in the envelope (tool, started_at,
    duration_ms, project, reproduce) and the fingerprints.
    """

    gate: str
    status: Status
    summary: str
    checks: tuple[Check, ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    thresholds: tuple[Threshold, ...] = ()
    findings: tuple[Finding, ...] = ()
    next_steps: tuple[str, ...] = ()
    reproduce: str = ""
    tool: Tool = field(default_factory=Tool)
    started_at: str = ""
    duration_ms: int = 0
    project: Project = field(default_factory=Project)
    schema_version: int = SCHEMA_VERSION
    # True when the answer was replayed from the result cache (nothing the gate reads
    # changed since the run that produced it); the envelope is this run's.
    cached: bool = False

    @property
    def exit_code(self) -> int:
        return self.status.exit_code

    def replace(self, **changes: Any) -> Verdict:
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------------------
# Helpers gates use to reach a status and a summary the same way everywhere.


def derive_status(
    checks: Iterable[Check] = (),
    findings: Iterable[Finding] = (),
    thresholds: Iterable[Threshold] = (),
) -> Status:
    """error if any check errored; fail on a blocking finding, failed check or threshold."""
    check_list = list(checks)
    if any(c.status is Status.ERROR for c in check_list):
        return Status.ERROR
    if (
        any(f.blocking for f in findings)
        or any(not t.ok for t in thresholds)
        or any(c.status is Status.FAIL for c in check_list)
    ):
        return Status.FAIL
    if check_list and all(c.status is Status.SKIPPED for c in check_list):
        return Status.SKIPPED
    return Status.PASS


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``plural(1, "finding")`` -> "1 finding"; ``plural(2, "finding")`` -> "2 findings"."""
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def findings_summary(findings: Sequence[Finding]) -> str:
    """ "3 errors, 1 warning in 2 files" style summary of a finding list."""
    if not findings:
        return "no findings"
    counts = {s: 0 for s in Severity}
    for f in findings:
        counts[f.severity] += 1
    parts = [plural(counts[s], s.value) for s in Severity if counts[s]]
    files = {f.path for f in findings if f.path}
    text = ", ".join(parts)
    if files:
        text += f" in {plural(len(files), 'file')}"
    return text


# ---------------------------------------------------------------------------
# Serialisation


def _finding_to_dict(f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = {"rule": f.rule, "severity": f.severity.value, "message": f.message}
    for key in ("path", "line", "column", "end_line", "end_column", "check"):
        value = getattr(f, key)
        if value is not None:
            d[key] = value
    d["fixable"] = f.fixable
    if f.fingerprint:
        d["fingerprint"] = f.fingerprint
    if f.help:
        d["help"] = f.help
    if f.existing:
        d["existing"] = True
    if f.data:
        d["data"] = dict(f.data)
    return d


def _check_to_dict(c: Check) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": c.name,
        "status": c.status.value,
        "duration_ms": c.duration_ms,
        "findings": c.findings,
    }
    if c.command is not None:
        d["command"] = list(c.command)
    if c.tool_version is not None:
        d["tool_version"] = c.tool_version
    if c.summary is not None:
        d["summary"] = c.summary
    return d


def _threshold_to_dict(t: Threshold) -> dict[str, Any]:
    d: dict[str, Any] = {"name": t.name}
    if t.min is not None:
        d["min"] = t.min
    if t.max is not None:
        d["max"] = t.max
    d["actual"] = t.actual
    d["ok"] = t.ok
    return d


def to_dict(v: Verdict) -> dict[str, Any]:
    """The verdict as the JSON-ready document of schema v1."""
    document: dict[str, Any] = {
        "schema_version": v.schema_version,
        "gate": v.gate,
        "status": v.status.value,
        "summary": v.summary,
        "tool": {"name": v.tool.name, "version": v.tool.version},
        "started_at": v.started_at,
        "duration_ms": v.duration_ms,
        "project": {
            "root": v.project.root,
            "commit": v.project.commit,
            "dirty": v.project.dirty,
            "base": v.project.base,
        },
        "checks": [_check_to_dict(c) for c in v.checks],
        "metrics": dict(v.metrics),
        "thresholds": [_threshold_to_dict(t) for t in v.thresholds],
        "findings": [_finding_to_dict(f) for f in v.findings],
        "next_steps": list(v.next_steps),
        "reproduce": v.reproduce,
    }
    if v.cached:
        # Only when true: documents of fresh runs stay as they were before the cache.
        document["cached"] = True
    return document


def to_json(v: Verdict) -> str:
    """The verdict document as indented JSON text."""
    import json

    text = json.dumps(to_dict(v), indent=2, ensure_ascii=False) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (from a hostile file name or lock entry) cannot be written as
        # UTF-8: it becomes U+FFFD rather than a crash while writing the verdict.
        import re

        text = re.sub("[\ud800-\udfff]", "\ufffd", text)
    # `##[` is a workflow command wherever it stands in a CI log line; escaped, the JSON
    # value is the same.
    return text.replace("##[", "##\\u005b")


def from_dict(d: Mapping[str, Any]) -> Verdict:
    """Read a verdict document back (the inverse of `to_dict`)."""
    tool = d.get("tool") or {}
    project = d.get("project") or {}
    return Verdict(
        schema_version=int(d.get("schema_version", SCHEMA_VERSION)),
        gate=d["gate"],
        status=Status(d["status"]),
        summary=d["summary"],
        tool=Tool(name=tool.get("name", "qualgate"), version=tool.get("version", "")),
        started_at=d.get("started_at", ""),
        duration_ms=int(d.get("duration_ms", 0)),
        project=Project(
            root=project.get("root", "."),
            commit=project.get("commit"),
            dirty=project.get("dirty"),
            base=project.get("base"),
        ),
        checks=tuple(
            Check(
                name=c["name"],
                status=Status(c["status"]),
                duration_ms=int(c.get("duration_ms", 0)),
                command=tuple(c["command"]) if c.get("command") is not None else None,
                tool_version=c.get("tool_version"),
                findings=int(c.get("findings", 0)),
                summary=c.get("summary"),
            )
            for c in d.get("checks", ())
        ),
        metrics=dict(d.get("metrics", {})),
        thresholds=tuple(
            Threshold(
                name=t["name"],
                min=t.get("min"),
                max=t.get("max"),
                actual=t.get("actual"),
                ok=bool(t["ok"]),
            )
            for t in d.get("thresholds", ())
        ),
        findings=tuple(
            Finding(
                rule=f["rule"],
                severity=Severity(f["severity"]),
                message=f["message"],
                path=f.get("path"),
                line=f.get("line"),
                column=f.get("column"),
                end_line=f.get("end_line"),
                end_column=f.get("end_column"),
                check=f.get("check"),
                fixable=bool(f.get("fixable", False)),
                fingerprint=f.get("fingerprint"),
                help=f.get("help"),
                existing=bool(f.get("existing", False)),
                data=dict(f.get("data", {})),
            )
            for f in d.get("findings", ())
        ),
        next_steps=tuple(d.get("next_steps", ())),
        reproduce=d.get("reproduce", ""),
        cached=bool(d.get("cached", False)),
    )


def schema_path() -> Path:
    return Path(__file__).parent / "schemas" / "verdict-v1.schema.json"


def load_schema() -> dict[str, Any]:
    import json

    result: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return result


def validate_document(document: Mapping[str, Any]) -> list[str]:
    """Schema errors of a verdict document, as readable strings (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
