"""From seed documents and the reflected schema to a plan: what to insert, update, leave.

Rows are converted by column type, merged with their environment overlay by key, ordered
parents first along the foreign keys between seeded tables, and compared with what the
database already holds (read once per table, in bulk). Every problem becomes a `Problem`
located at the seed file and row line.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.schema import ForeignKeyConstraint

from qualgate.gates.seed.convert import ConversionError, converter_for, same
from qualgate.gates.seed.files import SeedDoc


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """A defect in the seeds, at a file and line."""

    rule: str
    message: str
    path: str
    line: int | None
    table: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Row:
    """A converted seed row with its key and where it was written."""

    values: Mapping[str, Any]
    key: tuple[Any, ...]
    path: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class TableSeeds:
    """All rows for one table after overlays, in file order."""

    table: Table
    key: tuple[str, ...]
    rows: tuple[Row, ...]
    # Foreign key columns written NULL on insert and set afterwards (to break a cycle).
    deferred: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    row: Row
    columns: tuple[str, ...]  # the columns whose value differs (all given ones for inserts)
    before: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class TablePlan:
    seeds: TableSeeds
    inserts: tuple[Change, ...]
    updates: tuple[Change, ...]
    unchanged: int

    @property
    def name(self) -> str:
        return self.seeds.table.name


def seeded_tables(docs: Iterable[SeedDoc]) -> list[str]:
    return sorted({d.table for d in docs})


# ---------------------------------------------------------------------------
# Conversion and overlays


def build(
    metadata: MetaData,
    base: Sequence[SeedDoc],
    overlay: Sequence[SeedDoc],
) -> tuple[list[TableSeeds], list[Problem]]:
    """Convert and merge the documents of every table; unknown tables are problems."""
    problems: list[Problem] = []
    by_table: dict[str, list[tuple[SeedDoc, bool]]] = defaultdict(list)
    for doc in base:
        by_table[doc.table].append((doc, False))
    for doc in overlay:
        by_table[doc.table].append((doc, True))
    out: list[TableSeeds] = []
    for name in sorted(by_table):
        docs = by_table[name]
        table = metadata.tables.get(name)
        if table is None:
            for doc, _ in docs:
                problems.append(
                    Problem(
                        rule="unknown-table",
                        message=f"table {name!r} does not exist in the database",
                        path=doc.path,
                        line=doc.line,
                        table=name,
                    )
                )
            continue
        seeds = _table_seeds(table, docs, problems)
        if seeds is not None:
            out.append(seeds)
    return out, problems


def _table_seeds(
    table: Table, docs: list[tuple[SeedDoc, bool]], problems: list[Problem]
) -> TableSeeds | None:
    name = table.name
    primary = tuple(c.name for c in table.primary_key.columns)
    explicit = {d.key for d, _ in docs if d.key is not None}
    if len(explicit) > 1:
        doc = next(d for d, _ in docs if d.key is not None)
        problems.append(
            Problem(
                rule="invalid-document",
                message=f"documents for {name!r} disagree on the key: "
                + " vs ".join(", ".join(k) for k in sorted(explicit)),
                path=doc.path,
                line=doc.line,
                table=name,
            )
        )
        return None
    key = next(iter(explicit)) if explicit else primary
    if not key:
        doc = docs[0][0]
        problems.append(
            Problem(
                rule="no-key",
                message=f"table {name!r} has no primary key: give the document a `key`",
                path=doc.path,
                line=doc.line,
                table=name,
            )
        )
        return None
    for column in key:
        if column not in table.c:
            doc = next(d for d, _ in docs if d.key is not None)
            problems.append(
                Problem(
                    rule="unknown-column",
                    message=f"key column {column!r} is not a column of {name!r}",
                    path=doc.path,
                    line=doc.line,
                    table=name,
                )
            )
            return None
    converters = {c.name: converter_for(c) for c in table.columns}
    nullable = {c.name: bool(c.nullable) for c in table.columns}
    merged: dict[tuple[Any, ...], Row] = {}
    seen_base: dict[tuple[Any, ...], Row] = {}
    seen_overlay: dict[tuple[Any, ...], Row] = {}
    count_before = len(problems)
    for doc, is_overlay in docs:
        for raw in doc.rows:
            values: dict[str, Any] = {}
            bad = False
            for column, value in raw.values.items():
                convert = converters.get(column)
                if convert is None:
                    problems.append(
                        Problem(
                            rule="unknown-column",
                            message=f"{name!r} has no column {column!r}",
                            path=raw.path,
                            line=raw.line,
                            table=name,
                            data={"column": column},
                        )
                    )
                    bad = True
                    continue
                if value is None:
                    if not nullable[column]:
                        problems.append(
                            Problem(
                                rule="not-null",
                                message=f"{name}.{column} is NOT NULL but the row sets it to null",
                                path=raw.path,
                                line=raw.line,
                                table=name,
                                data={"column": column},
                            )
                        )
                        bad = True
                    values[column] = None
                    continue
                try:
                    values[column] = convert(value, raw.from_csv)
                except ConversionError as exc:
                    problems.append(
                        Problem(
                            rule="bad-value",
                            message=f"{name}.{column}: {exc}",
                            path=raw.path,
                            line=raw.line,
                            table=name,
                            data={"column": column},
                        )
                    )
                    bad = True
            if bad:
                continue
            missing = [k for k in key if values.get(k) is None]
            if missing:
                problems.append(
                    Problem(
                        rule="missing-key",
                        message=f"row has no value for key column(s) {', '.join(missing)}",
                        path=raw.path,
                        line=raw.line,
                        table=name,
                    )
                )
                continue
            row_key = tuple(values[k] for k in key)
            layer = seen_overlay if is_overlay else seen_base
            first = layer.get(row_key)
            if first is not None:
                problems.append(
                    Problem(
                        rule="duplicate-key",
                        message=f"{name} key ({_show_key(row_key)}) is already seeded at "
                        f"{first.path}:{first.line}",
                        path=raw.path,
                        line=raw.line,
                        table=name,
                    )
                )
                continue
            row = Row(values=values, key=row_key, path=raw.path, line=raw.line)
            layer[row_key] = row
            if is_overlay:
                base_row = merged.get(row_key)
                if base_row is not None:
                    # Overlay columns replace the base row's; the others are kept.
                    row = Row(
                        values={**base_row.values, **values},
                        key=row_key,
                        path=raw.path,
                        line=raw.line,
                    )
            merged[row_key] = row
    if len(problems) > count_before:
        return None
    return TableSeeds(table=table, key=key, rows=tuple(merged.values()))


def _show_key(key: tuple[Any, ...]) -> str:
    return ", ".join(repr(k) for k in key)


# ---------------------------------------------------------------------------
# Ordering along foreign keys


def _foreign_keys(table: Table) -> list[ForeignKeyConstraint]:
    return [c for c in table.constraints if isinstance(c, ForeignKeyConstraint)]


def order(seeds: Sequence[TableSeeds]) -> tuple[list[TableSeeds], list[Problem]]:
    """Parents first. Cycles between tables are broken by deferring nullable FK columns."""
    by_name = {s.table.name: s for s in seeds}
    edges: dict[str, set[str]] = {n: set() for n in by_name}  # child -> parents
    fk_of: dict[tuple[str, str], list[ForeignKeyConstraint]] = defaultdict(list)
    for name, s in by_name.items():
        for fk in _foreign_keys(s.table):
            parent = fk.referred_table.name
            if parent != name and parent in by_name:
                edges[name].add(parent)
                fk_of[(name, parent)].append(fk)
    ordered = _kahn(edges)
    problems: list[Problem] = []
    deferred: dict[str, set[str]] = defaultdict(set)
    if len(ordered) < len(edges):
        # The tables left over sit on a cycle: defer every nullable FK between them.
        stuck = set(edges) - set(ordered)
        for child in sorted(stuck):
            for parent in sorted(edges[child] & stuck):
                for fk in fk_of[(child, parent)]:
                    columns = [c.name for c in fk.columns]
                    if all(fk.table.c[c].nullable for c in columns):
                        deferred[child].update(columns)
                        edges[child].discard(parent)
        ordered = _kahn(edges)
        if len(ordered) < len(edges):
            cycle = sorted(set(edges) - set(ordered))
            first = by_name[cycle[0]].rows[0] if by_name[cycle[0]].rows else None
            problems.append(
                Problem(
                    rule="fk-cycle",
                    message="foreign keys form a cycle through "
                    + ", ".join(cycle)
                    + " and none of them is nullable, so no insert order works",
                    path=first.path if first else "",
                    line=first.line if first else None,
                    table=cycle[0],
                )
            )
            return [], problems
    result = []
    for name in ordered:
        s = by_name[name]
        extra = tuple(sorted(deferred.get(name, ())))
        result.append(TableSeeds(table=s.table, key=s.key, rows=s.rows, deferred=extra))
    return result, problems


def _kahn(edges: Mapping[str, set[str]]) -> list[str]:
    """Topological order (parents before children, ties alphabetical)."""
    remaining = {n: set(p) for n, p in edges.items()}
    children: dict[str, set[str]] = defaultdict(set)
    for child, parents in remaining.items():
        for parent in parents:
            children[parent].add(child)
    ready = sorted(n for n, p in remaining.items() if not p)
    out: list[str] = []
    queue = deque(ready)
    while queue:
        node = queue.popleft()
        out.append(node)
        newly = []
        for child in children[node]:
            remaining[child].discard(node)
            if not remaining[child]:
                newly.append(child)
        queue.extend(sorted(newly))
    return out


def order_rows(seeds: TableSeeds, inserts: list[Change]) -> tuple[list[Change], Problem | None]:
    """Order inserts of a self-referencing table so that parent rows come first."""
    table = seeds.table
    self_fks = [fk for fk in _foreign_keys(table) if fk.referred_table is table]
    if not self_fks or len(inserts) < 2:
        return inserts, None
    index: dict[tuple[str, tuple[Any, ...]], int] = {}
    for fk in self_fks:
        referred = tuple(e.column.name for e in fk.elements)
        for i, change in enumerate(inserts):
            values = change.row.values
            if all(values.get(c) is not None for c in referred):
                index[(_fk_id(fk), tuple(values[c] for c in referred))] = i
    edges: dict[str, set[str]] = {str(i): set() for i in range(len(inserts))}
    for fk in self_fks:
        local = tuple(e.parent.name for e in fk.elements)
        for i, change in enumerate(inserts):
            values = change.row.values
            if all(values.get(c) is not None for c in local):
                parent = index.get((_fk_id(fk), tuple(values[c] for c in local)))
                if parent is not None and parent != i:
                    edges[str(i)].add(str(parent))
    ordered = _kahn_stable(edges, len(inserts))
    if ordered is None:
        change = inserts[0]
        return inserts, Problem(
            rule="fk-cycle",
            message=f"rows of {table.name} reference each other in a cycle",
            path=change.row.path,
            line=change.row.line,
            table=table.name,
        )
    return [inserts[i] for i in ordered], None


def _fk_id(fk: ForeignKeyConstraint) -> str:
    return str(fk.name) if fk.name else str(id(fk))


def _kahn_stable(edges: Mapping[str, set[str]], count: int) -> list[int] | None:
    remaining = {int(n): {int(p) for p in ps} for n, ps in edges.items()}
    children: dict[int, list[int]] = defaultdict(list)
    for child, parents in remaining.items():
        for parent in parents:
            children[parent].append(child)
    import heapq

    heap = [n for n in range(count) if not remaining[n]]
    heapq.heapify(heap)
    out: list[int] = []
    while heap:
        node = heapq.heappop(heap)
        out.append(node)
        for child in children[node]:
            remaining[child].discard(node)
            if not remaining[child]:
                heapq.heappush(heap, child)
    return out if len(out) == count else None


# ---------------------------------------------------------------------------
# Diffing against what the database holds


def diff(seeds: TableSeeds, existing: Mapping[tuple[Any, ...], Mapping[str, Any]]) -> TablePlan:
    """Compare each seed row with the stored row of the same key."""
    inserts: list[Change] = []
    updates: list[Change] = []
    unchanged = 0
    for row in seeds.rows:
        stored = existing.get(row.key)
        if stored is None:
            inserts.append(Change(row=row, columns=tuple(row.values)))
            continue
        changed = tuple(c for c, v in row.values.items() if not same(stored.get(c), v))
        if changed:
            updates.append(
                Change(row=row, columns=changed, before={c: stored.get(c) for c in changed})
            )
        else:
            unchanged += 1
    return TablePlan(
        seeds=seeds, inserts=tuple(inserts), updates=tuple(updates), unchanged=unchanged
    )


def describe_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
