"""Revision files read with `ast` (no app code is imported) and the revision graph's checks."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualgate.gates.migration_check.rules import RULES
from qualgate.verdict import Finding, Severity

CHECK = "revision graph"


@dataclass(frozen=True, kw_only=True, slots=True)
class RevisionFile:
    """One revision module as the parser saw it."""

    path: str  # root-relative, for findings
    revision: str | None
    down_revisions: tuple[str, ...]
    down_set: bool  # False when the file has no down_revision assignment at all
    depends_on: tuple[str, ...] = ()
    revision_line: int = 1
    down_line: int = 1
    tree: ast.Module | None = None
    error: str | None = None
    error_line: int = 1

    @property
    def is_merge(self) -> bool:
        return len(self.down_revisions) > 1


def _literal_ids(node: ast.expr | None) -> tuple[str, ...] | None:
    """A revision id, a tuple/list of ids, or None; None (the Python value) if not literal."""
    if node is None:
        return ()
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def parse(source: str, rel: str) -> RevisionFile:
    """Read the identifiers of one revision file; syntax errors are reported, not raised."""
    try:
        tree = ast.parse(source, filename=rel)
    except SyntaxError as exc:
        return RevisionFile(
            path=rel,
            revision=None,
            down_revisions=(),
            down_set=False,
            error=f"syntax error: {exc.msg}",
            error_line=exc.lineno or 1,
        )
    values: dict[str, tuple[ast.expr | None, int]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = (stmt.value, stmt.lineno)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            values[stmt.target.id] = (stmt.value, stmt.lineno)
    rev_node, rev_line = values.get("revision", (None, 1))
    down_node, down_line = values.get("down_revision", (None, 1))
    dep_node, _ = values.get("depends_on", (None, 1))
    revision_ids = _literal_ids(rev_node) if "revision" in values else ()
    error = None
    if "revision" not in values:
        error = "no `revision = ...` assignment: Alembic cannot load this file"
    elif not revision_ids or len(revision_ids) != 1:
        error = "`revision` is not a plain string literal, so it cannot be read statically"
    downs = _literal_ids(down_node) if "down_revision" in values else ()
    if downs is None:
        error = error or "`down_revision` is not a literal, so it cannot be read statically"
        downs = ()
    deps = _literal_ids(dep_node) or ()
    return RevisionFile(
        path=rel,
        revision=revision_ids[0] if revision_ids and len(revision_ids) == 1 else None,
        down_revisions=downs,
        down_set="down_revision" in values,
        depends_on=deps,
        revision_line=rev_line,
        down_line=down_line,
        tree=tree,
        error=error,
        error_line=rev_line if error and "revision" in values else 1,
    )


def parse_file(path: Path, rel: str) -> RevisionFile:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return RevisionFile(
            path=rel, revision=None, down_revisions=(), down_set=False, error=f"unreadable: {exc}"
        )
    return parse(source, rel)


@dataclass(frozen=True, kw_only=True, slots=True)
class Graph:
    """The revision graph and what is wrong with it."""

    revisions: dict[str, RevisionFile]
    heads: tuple[str, ...]
    bases: tuple[str, ...]
    order: tuple[str, ...]  # base -> head (topological), cycles excluded
    findings: tuple[Finding, ...]

    @property
    def broken(self) -> bool:
        """True when Alembic itself could not load the chain (no point running it)."""
        return (
            any(f.severity is Severity.ERROR and f.rule != "multiple-heads" for f in self.findings)
            or len(self.heads) > 1
        )


def _finding(rule: str, message: str, path: str, line: int) -> Finding:
    return RULES.finding(rule, message, path=path, line=line, check=CHECK)


def build(files: Sequence[RevisionFile]) -> Graph:
    """Check ids, parents, heads and cycles of ``files``."""
    findings: list[Finding] = []
    revisions: dict[str, RevisionFile] = {}
    for rf in files:
        if rf.error:
            rule = "unparsable-revision"
            findings.append(_finding(rule, f"{rf.error}", rf.path, rf.error_line))
            continue
        if rf.revision is None:  # pragma: no cover - parse() sets error in that case
            continue
        if rf.revision in revisions:
            first = revisions[rf.revision]
            findings.append(
                _finding(
                    "duplicate-revision",
                    f"revision id {rf.revision} is also used by {first.path}",
                    rf.path,
                    rf.revision_line,
                )
            )
            continue
        revisions[rf.revision] = rf
    children: dict[str, list[str]] = {r: [] for r in revisions}
    for rf in revisions.values():
        if not rf.down_set:
            findings.append(
                _finding(
                    "missing-down-revision",
                    f"revision {rf.revision} has no `down_revision` assignment "
                    "(use `down_revision = None` for a first revision)",
                    rf.path,
                    rf.revision_line,
                )
            )
        for parent in (*rf.down_revisions, *rf.depends_on):
            if parent not in revisions:
                what = "down_revision" if parent in rf.down_revisions else "depends_on"
                findings.append(
                    _finding(
                        "missing-down-revision",
                        f"{what} of {rf.revision} names {parent}, which no revision file defines",
                        rf.path,
                        rf.down_line,
                    )
                )
        for parent in rf.down_revisions:
            if parent in children:
                children[parent].append(rf.revision or "")
        if rf.is_merge:
            findings.append(
                _finding(
                    "merge-revision",
                    f"revision {rf.revision} merges {', '.join(rf.down_revisions)}",
                    rf.path,
                    rf.revision_line,
                )
            )
    order, cyclic = _toposort(revisions)
    for rev in sorted(cyclic):
        rf = revisions[rev]
        findings.append(
            _finding(
                "revision-cycle",
                f"revision {rev} is part of a cycle of down_revision links",
                rf.path,
                rf.down_line,
            )
        )
    heads = tuple(sorted(r for r, kids in children.items() if not kids and r not in cyclic))
    bases = tuple(sorted(r for r, rf in revisions.items() if not rf.down_revisions))
    if len(heads) > 1:
        for head in heads:
            rf = revisions[head]
            others = ", ".join(h for h in heads if h != head)
            findings.append(
                _finding(
                    "multiple-heads",
                    f"{len(heads)} heads: {head} and {others}; "
                    "join them with `alembic merge heads`",
                    rf.path,
                    rf.revision_line,
                )
            )
    return Graph(
        revisions=revisions,
        heads=heads,
        bases=bases,
        order=tuple(order),
        findings=tuple(findings),
    )


def _toposort(revisions: dict[str, RevisionFile]) -> tuple[list[str], set[str]]:
    """Kahn's algorithm, parents first; what never becomes ready is on (or behind) a cycle."""
    pending = {r: {p for p in rf.down_revisions if p in revisions} for r, rf in revisions.items()}
    kids: dict[str, list[str]] = {r: [] for r in revisions}
    for r, parents in pending.items():
        for p in parents:
            kids[p].append(r)
    ready = sorted(r for r, parents in pending.items() if not parents)
    order: list[str] = []
    while ready:
        rev = ready.pop(0)
        order.append(rev)
        for kid in sorted(kids[rev]):
            pending[kid].discard(rev)
            if not pending[kid]:
                ready.append(kid)
    left = set(revisions) - set(order)
    # Report only the revisions on a cycle, not everything that descends from one.
    on_cycle = {r for r in left if _reaches(r, r, revisions)}
    return order, on_cycle


def _reaches(start: str, goal: str, revisions: dict[str, RevisionFile]) -> bool:
    seen: set[str] = set()
    stack = [p for p in revisions[start].down_revisions if p in revisions]
    while stack:
        rev = stack.pop()
        if rev == goal:
            return True
        if rev in seen:
            continue
        seen.add(rev)
        stack.extend(p for p in revisions[rev].down_revisions if p in revisions)
    return False
