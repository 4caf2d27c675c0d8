"""Checking one document: load, refs, structure, rules; then locating the findings.

Callers pause the cyclic GC around this work (`qualgate.policy.gc_paused`): loading
creates millions of acyclic objects (freed by reference counting anyway) and each
automatic collection rescans the growing heap; that was over half of the CPU time of
loading a 3 MB YAML document (0.82 s -> 0.33 s without it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate.gates.openapi_lint import loader, structure
from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import Document
from qualgate.gates.openapi_lint.model import Spec, detect_version
from qualgate.gates.openapi_lint.refs import Resolver
from qualgate.gates.openapi_lint.rules import CHECK_OF, GENERATED_NOTES, RULES
from qualgate.gates.openapi_lint.rules.ruleset import CHECKS
from qualgate.verdict import Finding, Severity

PHASES = ("load", "refs", "structure", "rules", "breaking")
# What a rule may raise on a document whose shape the specification does not allow.
RULE_FAULTS = (TypeError, AttributeError, KeyError, ValueError, IndexError, RecursionError)
Reader = Callable[[Path, str], tuple[Document | None, list[loader.LoadProblem]]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """What a run is configured with (defaults: the built-in severities)."""

    allow_remote: bool = False
    max_bytes: int = loader.DEFAULT_MAX_BYTES
    # Rule id -> severity, or None when the rule is off; rules not named keep defaults.
    severities: Mapping[str, Severity | None] = field(default_factory=dict)

    def severity(self, rule_id: str, *, generated: bool = False) -> Severity | None:
        """The rule's severity; ``generated``: for a document generated from code, where
        the documentation rules default to notes (`rules.GENERATED_NOTES`)."""
        if rule_id in self.severities:
            return self.severities[rule_id]
        known = RULES.get(rule_id)
        if known is None:
            return Severity.ERROR
        if generated and rule_id in GENERATED_NOTES and known.severity is not Severity.ERROR:
            return Severity.NOTE
        return known.severity


@dataclass(kw_only=True, slots=True)
class Result:
    """One document checked: its issues, and the loaded spec (None when unusable)."""

    rel: str
    issues: list[Issue]
    spec: Spec | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # Rules that could not run because the document's structure is invalid.
    skipped_rules: list[str] = field(default_factory=list)


def load_spec(
    path: Path,
    rel: str,
    root: Path,
    settings: Settings,
    *,
    text: str | None = None,
    read: Reader | None = None,
    doc: Document | None = None,
) -> tuple[Spec | None, list[Issue], dict[str, float]]:
    """Load a root document and its refs; the spec is None when nothing can be checked.

    ``doc``: an already loaded document (a spec generated from the app)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    problems: list[loader.LoadProblem] = []
    if doc is None and text is None:
        doc, problems = loader.load_file(path, rel, max_bytes=settings.max_bytes)
    elif doc is None:
        doc, problems = loader.load_text(text or "", path, rel)
    issues = [
        Issue(
            rule=p.rule,
            message=p.message,
            doc=doc,
            path=rel,
            pointer=p.pointer,
            line=p.line,
            column=p.column,
        )
        for p in problems
    ]
    timings["load"] = time.perf_counter() - t0
    if doc is None:
        return None, issues, timings
    wrong = structure.version_issue(doc)
    if wrong is not None:
        issues.append(wrong)
        return None, issues, timings
    version = detect_version(doc.data) or "3.0"  # version_issue vouched for it
    t0 = time.perf_counter()
    resolver = Resolver(
        doc, root, allow_remote=settings.allow_remote, read=read, max_bytes=settings.max_bytes
    )
    issues.extend(resolver.check())
    timings["refs"] = time.perf_counter() - t0
    return Spec(doc, resolver, version), issues, timings


def check_document(
    path: Path,
    rel: str,
    root: Path,
    settings: Settings,
    *,
    text: str | None = None,
    doc: Document | None = None,
) -> Result:
    """Every check but breaking changes, for one root document."""
    spec, issues, timings = load_spec(path, rel, root, settings, text=text, doc=doc)
    result = Result(rel=rel, issues=issues, spec=spec, timings=timings)
    if spec is None:
        return result
    t0 = time.perf_counter()
    invalid = structure.validate(spec.doc, spec.version)
    issues.extend(invalid)
    timings["structure"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for check in CHECKS.values():
        if spec.version not in check.versions or settings.severity(check.id) is None:
            continue
        try:
            issues.extend(check.run(spec))
        except RULE_FAULTS:
            # Rules read the document as the specification shapes it. A document that
            # is not valid (already a failing finding) may trip one; on a valid one it
            # is our bug and must surface as an error verdict.
            if not invalid:
                raise
            result.skipped_rules.append(check.id)
    timings["rules"] = time.perf_counter() - t0
    return result


def phase_of(rule_id: str) -> str:
    """The check (phase) a rule's findings belong to."""
    return CHECK_OF.get(rule_id, "load")


def to_findings(
    issues: Iterable[Issue], settings: Settings, *, extra: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Located findings (one locate pass per document); rules turned off are dropped."""
    kept: list[tuple[Issue, Severity]] = []
    for issue in issues:
        generated = issue.doc is not None and issue.doc.sources is not None
        severity = settings.severity(issue.rule, generated=generated)
        if severity is not None:
            kept.append((issue, severity))
    wanted: dict[int, tuple[Document, set[str]]] = {}
    for issue, _ in kept:
        if issue.line is None and issue.doc is not None and issue.doc.sources is None:
            wanted.setdefault(id(issue.doc), (issue.doc, set()))[1].add(issue.pointer)
    positions: dict[tuple[int, str], loader.Position] = {}
    for key, (doc, pointers) in wanted.items():
        for pointer, found in doc.locate_many(pointers).items():
            positions[(key, pointer)] = found
    findings = []
    for issue, severity in kept:
        line, column = issue.line, issue.column
        path = issue.doc.rel if issue.doc is not None else issue.path
        if line is None and issue.doc is not None:
            if issue.doc.sources is not None:
                path, line = issue.doc.sources.locate(issue.pointer)
                column = None
            else:
                position: loader.Position | None = positions.get((id(issue.doc), issue.pointer))
                if position is None:
                    position = _nearest(issue.doc, issue.pointer)
                if position is not None:
                    line, column = position.line, position.column
        data: dict[str, Any] = {"pointer": issue.pointer, **issue.data, **(extra or {})}
        findings.append(
            Finding(
                rule=issue.rule,
                severity=severity,
                message=issue.message,
                path=path,
                line=line,
                column=column,
                check=phase_of(issue.rule),
                help=RULES.help_url(issue.rule) if issue.rule in RULES else None,
                data=data,
            )
        )
    return findings


def _nearest(doc: Document, pointer: str) -> loader.Position | None:
    """The position of the closest existing ancestor (a missing key's parent object)."""
    parts = pointer.split("/")
    while len(parts) > 1:
        parts.pop()
        found = doc.locate("/".join(parts))
        if found is not None:
            return found
    return loader.Position(line=1, column=1)
