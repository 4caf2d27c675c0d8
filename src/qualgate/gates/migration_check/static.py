"""The static half of migration-check: parse every revision, check the graph, lint the new ones.

Nothing here imports the project's code or touches a database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.migration_check import engine, graph, oplint, project, rollback
from qualgate.gates.migration_check.rules import LINT_RULES, RULES
from qualgate.policy import gc_paused
from qualgate.verdict import Check, Finding, Severity, Status, plural


@dataclass(kw_only=True, slots=True)
class Static:
    """What the static checks found, and what the dynamic half needs from them."""

    parsed: list[graph.RevisionFile]
    chain: graph.Graph
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    # Revision ids of the files added since --base (every revision without --base).
    new_revisions: list[str] = field(default_factory=list)
    # The engine the migrations target (decides where the scratch database lives).
    engine: engine.Engine | None = None


def _engine(
    ctx: GateContext, proj: project.AlembicProject, sources: list[tuple[str, str]]
) -> engine.Engine:
    return engine.detect(
        ctx.root,
        option=str(ctx.option("dialect")),
        database_url=ctx.option("database-url"),
        ini_url=proj.url,
        env_py=proj.script_location / "env.py",
        revisions=sources,
    )


def _new_since_base(ctx: GateContext, rels: list[str]) -> tuple[set[str], set[str]]:
    """(added, modified) revision files since --base."""
    from qualgate import git

    if ctx.base is None:
        return set(rels), set()
    changed = ctx.changed_lines()
    files = changed.files if changed is not None else frozenset()
    added, modified = set(), set()
    for rel in rels:
        if rel not in files:
            continue
        if git.show_file(ctx.root, ctx.base, rel) is None:
            added.add(rel)
        else:
            modified.add(rel)
    return added, modified


def analyze(ctx: GateContext, proj: project.AlembicProject) -> Static:
    """Graph check over every revision file; lint and rollback notes for the new ones."""
    t0 = time.monotonic()
    sources: list[tuple[str, str]] = []
    parsed: list[graph.RevisionFile] = []
    # Parsing keeps every syntax tree alive: the cyclic GC would rescan them all, again and
    # again, doubling the parse time of a large chain for nothing (trees hold no cycles).
    with gc_paused():
        for path in proj.revision_files():
            text = path.read_text(encoding="utf-8", errors="replace")
            sources.append((ctx.relpath(path), text))
            parsed.append(graph.parse(text, ctx.relpath(path)))
        chain = graph.build(parsed)
        added, modified = _new_since_base(ctx, [rf.path for rf in parsed])
        # With --base, the run pipeline reports graph findings off the changed lines as
        # existing (the gate declares the graph check BASE_SCOPED).
        out = Static(parsed=parsed, chain=chain, findings=list(chain.findings))
        out.checks.append(
            Check(
                name=graph.CHECK,
                status=Status.FAIL if any(f.blocking for f in chain.findings) else Status.PASS,
                duration_ms=int((time.monotonic() - t0) * 1000),
                findings=len(chain.findings),
                summary=f"{plural(len(chain.revisions), 'revision')}, "
                f"{plural(len(chain.heads), 'head')}",
            )
        )
        t1 = time.monotonic()
        found_engine = _engine(ctx, proj, sources)
        dialect = found_engine.backend
        lint_findings = _lint(ctx, parsed, added, modified, dialect)
        out.findings += lint_findings
        out.checks.append(
            Check(
                name=oplint.CHECK,
                status=Status.FAIL if any(f.blocking for f in lint_findings) else Status.PASS,
                duration_ms=int((time.monotonic() - t1) * 1000),
                findings=len(lint_findings),
                summary=f"{plural(len(added), 'revision')} linted"
                + (f" (added since {ctx.base})" if ctx.base else "")
                + f"; target {dialect}"
                + ("" if found_engine.decided_by else " (nothing names an engine)"),
            )
        )
        notes = [rollback.note(rf) for rf in parsed if rf.path in added and rf.tree is not None]
        out.new_revisions = [rf.revision for rf in parsed if rf.path in added and rf.revision]
        out.engine = found_engine
    out.metrics = {
        "revisions": len(chain.revisions),
        "heads": list(chain.heads),
        "linted": len(added),
        "dialect": dialect,
        "engine": found_engine.as_metric(),
        "rollback": notes,
    }
    return out


def _lint(
    ctx: GateContext,
    parsed: list[graph.RevisionFile],
    added: set[str],
    modified: set[str],
    dialect: str,
) -> list[Finding]:
    irreversible = Severity(str(ctx.option("irreversible")))
    disabled = frozenset(ctx.option("disable") or ())
    unknown = disabled - set(LINT_RULES)
    if unknown:
        raise GateError(
            f"--disable: unknown rule {', '.join(sorted(unknown))}",
            "see `qualgate migration-check --list-rules`",
        )
    found: list[Finding] = []
    for rf in parsed:
        if rf.path in added:
            found += oplint.lint(
                rf, postgres=dialect == "postgresql", irreversible=irreversible, disabled=disabled
            )
    for rel in sorted(modified):
        rf = next(r for r in parsed if r.path == rel)
        found.append(
            RULES.finding(
                "modified-revision",
                f"revision {rf.revision} existed at {ctx.base} and was edited: "
                "databases that already ran it will not run it again",
                path=rel,
                line=rf.revision_line,
                check=oplint.CHECK,
            )
        )
    return found
