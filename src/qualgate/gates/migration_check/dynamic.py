"""Turning the worker's events into checks and findings (upgrade, drift, downgrade, re-upgrade)."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qualgate.gates.migration_check.api import WorkerResult
from qualgate.gates.migration_check.graph import RevisionFile
from qualgate.gates.migration_check.rules import RULES
from qualgate.verdict import Check, Finding, Severity, Status

STEPS = ("upgrade", "drift", "downgrade", "reupgrade")
CHECK_NAMES = {
    "upgrade": "upgrade base -> head",
    "drift": "model drift",
    "downgrade": "downgrade head -> base",
    "reupgrade": "up/down consistency",
    "models": "models imported",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Options:
    """What the gate's options change in judging the steps."""

    require_drift: bool = False
    irreversible: str = "warning"  # severity of a declared irreversible downgrade
    env_py: str | None = None  # where a drift-not-checked finding points
    # Revision files the operation lint already called irreversible (no second finding).
    linted_irreversible: frozenset[str] = frozenset()


@dataclass(kw_only=True, slots=True)
class Outcome:
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)


def _def_line(rf: RevisionFile | None, name: str) -> int:
    if rf is None or rf.tree is None:
        return 1
    for stmt in rf.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return stmt.lineno
    return 1


def _revision_finding(
    rule: str,
    message: str,
    check: str,
    revision: str | None,
    revisions: Mapping[str, RevisionFile],
    function: str,
    line: int | None = None,
) -> Finding:
    rf = revisions.get(revision or "")
    return RULES.finding(
        rule,
        message,
        path=rf.path if rf else None,
        line=(line or _def_line(rf, function)) if rf else None,
        check=check,
        data={"revision": revision},
    )


_LEFT = re.compile(r"^(table|column) (\S+) is left over$")


def _creator(item: str, creators: Mapping[str, str]) -> str | None:
    match = _LEFT.match(item)
    if not match:
        return None
    kind, name = match.groups()
    return creators.get(f"{kind} {name}")


def build(
    result: WorkerResult,
    *,
    revisions: Mapping[str, RevisionFile],
    creators: Mapping[str, str],
    backend: str,
    options: Options | None = None,
) -> Outcome:
    """Checks and findings for each step the worker ran (or never reached)."""
    out = Outcome()
    opts = options or Options()
    steps = result.steps()
    outcome = result.outcome or {}
    failed_step = outcome.get("step") if outcome.get("event") == "failed" else None
    command = result.argv
    version = (result.started or {}).get("alembic")
    stopped = False
    wanted = STEPS + (("models",) if "models" in steps or failed_step == "models" else ())
    for step in wanted:
        name = CHECK_NAMES[step]
        event = steps.get(step)
        if event is None:
            if step == failed_step or (failed_step == "baseline" and step == "upgrade"):
                out.checks.append(
                    _failed_check(step, name, outcome, revisions, out.findings, command, version)
                )
                stopped = True
            else:
                why = "an earlier step failed" if stopped or failed_step else "not run"
                out.checks.append(
                    Check(name=name, status=Status.SKIPPED, summary=f"skipped: {why}")
                )
            continue
        out.metrics[f"{step}_ms"] = event.get("ms", 0)
        out.checks.append(
            _passed_step(
                step, name, event, out, revisions, creators, backend, command, version, opts
            )
        )
    return out


def _failed_check(
    step: str,
    name: str,
    outcome: Mapping[str, Any],
    revisions: Mapping[str, RevisionFile],
    findings: list[Finding],
    command: tuple[str, ...],
    version: str | None,
) -> Check:
    revision = outcome.get("revision")
    line = outcome.get("line")
    message = str(outcome.get("message", ""))
    if step == "upgrade" or outcome.get("step") == "baseline":
        if outcome.get("step") == "baseline":
            text = f"the baseline failed: {message}"
            findings.append(RULES.finding("baseline-failed", text, check=name))
        else:
            text = f"upgrade of revision {revision} failed: {message}"
            findings.append(
                _revision_finding(
                    "upgrade-failed", text, name, revision, revisions, "upgrade", line
                )
            )
    elif step == "downgrade":
        text = f"downgrade of revision {revision} failed: {message}"
        findings.append(
            _revision_finding(
                "downgrade-failed", text, name, revision, revisions, "downgrade", line
            )
        )
    elif step == "reupgrade":
        text = (
            f"upgrading revision {revision} again after the downgrade failed: {message} "
            "(a downgrade left something behind)"
        )
        findings.append(
            _revision_finding("up-down-mismatch", text, name, revision, revisions, "downgrade")
        )
    else:
        text = f"the drift check failed: {message}"
        findings.append(RULES.finding("drift-check-failed", text, check=name))
    return Check(
        name=name,
        status=Status.FAIL,
        summary=text.splitlines()[0],
        command=command,
        tool_version=version,
        findings=1,
    )


def _passed_step(
    step: str,
    name: str,
    event: Mapping[str, Any],
    out: Outcome,
    revisions: Mapping[str, RevisionFile],
    creators: Mapping[str, str],
    backend: str,
    command: tuple[str, ...],
    version: str | None,
    opts: Options,
) -> Check:
    ms = int(event.get("ms", 0))
    found: list[Finding] = []
    status, summary = Status.PASS, ""
    applied: Sequence[str] = event.get("applied") or ()
    if step == "upgrade":
        summary = f"{len(applied)} revisions applied one by one on {backend}"
    elif step == "models":
        summary = _models(event, name, found)
        if not event.get("checked"):
            return Check(
                name=name,
                status=Status.SKIPPED,
                duration_ms=ms,
                command=command,
                tool_version=version,
                summary=summary,
            )
    elif step == "drift":
        if not event.get("metadata"):
            reason = (
                "env.py passes no target_metadata to context.configure(), so the models "
                "cannot be compared"
            )
            if opts.require_drift:
                out.findings.append(
                    RULES.finding(
                        "drift-not-checked",
                        f"the model drift check cannot run: {reason} (require-drift is set)",
                        path=opts.env_py,
                        line=1 if opts.env_py else None,
                        check=name,
                    )
                )
                return Check(
                    name=name,
                    status=Status.FAIL,
                    duration_ms=ms,
                    command=command,
                    tool_version=version,
                    findings=1,
                    summary=f"not checked: {reason}",
                )
            return Check(
                name=name,
                status=Status.SKIPPED,
                duration_ms=ms,
                command=command,
                tool_version=version,
                summary=f"skipped: {reason}",
            )
        for diff in event.get("diffs") or ():
            found.append(
                RULES.finding(
                    "model-drift",
                    f"{diff['message']} (run `alembic revision --autogenerate`)",
                    check=name,
                    data={k: diff.get(k) for k in ("kind", "table", "column")},
                )
            )
        summary = (
            f"{len(found)} differences between the models and the migrated schema"
            if found
            else "the models match the migrated schema"
        )
    elif step == "downgrade":
        per_revision: Mapping[str, Sequence[str]] = event.get("revisions") or {}
        out.metrics["roundtrip"] = {rev: list(diffs) for rev, diffs in per_revision.items()}
        blamed = set()
        for rev, diffs in per_revision.items():
            if not diffs:
                continue
            blamed.add(rev)
            rf = revisions.get(rev)
            shown = "; ".join(diffs[:5]) + (
                f"; and {len(diffs) - 5} more" if len(diffs) > 5 else ""
            )
            found.append(
                RULES.finding(
                    "downgrade-incomplete",
                    f"the downgrade of {rev} does not undo its upgrade: {shown}",
                    path=rf.path if rf else None,
                    line=_def_line(rf, "downgrade") if rf else None,
                    check=name,
                    data={"revision": rev, "differences": list(diffs)},
                )
            )
        stopped = event.get("stopped_at")
        leftovers = list(event.get("differences") or ())
        if event.get("versions") and not stopped:
            leftovers.append(f"alembic_version still holds {', '.join(event['versions'])}")
        for item in leftovers:
            revision = _creator(item, creators)
            if revision in blamed:
                continue  # already reported, with the revision, above
            rf = revisions.get(revision or "")
            found.append(
                RULES.finding(
                    "downgrade-incomplete",
                    f"after downgrading to base, {item}"
                    + (f": the downgrade of {revision} does not undo it" if revision else ""),
                    path=rf.path if rf else None,
                    line=_def_line(rf, "downgrade") if rf else None,
                    check=name,
                    data={"revision": revision} if revision else {},
                )
            )
        summary = (
            f"{len(applied)} revisions downgraded, but the schema differs from before the upgrade"
            if found
            else f"{len(applied)} revisions downgraded one by one; the schema is back to base"
        )
        if stopped:
            summary = _stopped(stopped, applied, found, revisions, name, opts)
    elif step == "reupgrade":
        for item in event.get("differences") or ():
            found.append(
                RULES.finding(
                    "up-down-mismatch", f"after downgrade and upgrade again, {item}", check=name
                )
            )
        summary = (
            "the schema after upgrade, downgrade, upgrade differs from the first upgrade"
            if found
            else "upgrade again gives the same schema as the first upgrade"
        )
    out.findings.extend(found)
    if any(f.blocking for f in found):
        status = Status.FAIL
    return Check(
        name=name,
        status=status,
        duration_ms=ms,
        command=command,
        tool_version=version,
        findings=len(found),
        summary=summary,
    )


def _stopped(
    stopped: Mapping[str, Any],
    applied: Sequence[str],
    found: list[Finding],
    revisions: Mapping[str, RevisionFile],
    check: str,
    opts: Options,
) -> str:
    """The downgrade stopped at an irreversible revision: a warning naming it."""
    revision = str(stopped.get("revision"))
    how = str(stopped.get("how") or "irreversible")
    rf = revisions.get(revision)
    if rf is None or rf.path not in opts.linted_irreversible:
        found.append(
            RULES.finding(
                "irreversible-downgrade",
                f"revision {revision} cannot be downgraded ({how}): the round trip stops "
                "there, and the revisions below it were not downgraded",
                severity=Severity(opts.irreversible),
                path=rf.path if rf else None,
                line=_def_line(rf, "downgrade") if rf else None,
                check=check,
                data={"revision": revision},
            )
        )
    problems = [f for f in found if f.rule != "irreversible-downgrade"]
    tail = "; some did not undo their upgrade" if problems else ""
    return (
        f"{len(applied)} revisions downgraded one by one, then stopped at irreversible "
        f"revision {revision} ({how}){tail}"
    )


def _models(event: Mapping[str, Any], check: str, found: list[Finding]) -> str:
    """Findings of the all-models-imported check; its summary."""
    if not event.get("checked"):
        return f"skipped: {event.get('reason') or 'nothing to check'}"
    for item in event.get("missing") or ():
        found.append(
            RULES.finding(
                "model-not-imported",
                f"table {item.get('table')} ({item.get('what')}) is not on env.py's "
                "target_metadata: nothing env.py imports imports its module, so "
                "autogenerate would drop it",
                path=item.get("path"),
                line=item.get("line"),
                check=check,
                data={"table": item.get("table")},
            )
        )
    packages = ", ".join(event.get("packages") or ())
    if found:
        return f"{len(found)} tables registered only once every module of {packages} is imported"
    return f"every model of {packages} is on target_metadata"
