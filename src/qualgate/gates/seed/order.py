"""Write order: parents before children along foreign keys, for tables and for rows.

Tables follow the foreign keys between seeded tables (ties alphabetical). A cycle between
tables is broken by writing its nullable foreign key columns afterwards; a cycle with no
nullable column is a problem. Rows of a self-referencing table are inserted parents first.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.schema import ForeignKeyConstraint

from qualgate.gates.seed.plan import Problem, Row, TableSeeds


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


def order_rows(seeds: TableSeeds, inserts: Sequence[Row]) -> tuple[Sequence[Row], Problem | None]:
    """Order inserts of a self-referencing table so that parent rows come first."""
    table = seeds.table
    self_fks = [fk for fk in _foreign_keys(table) if fk.referred_table is table]
    if not self_fks or len(inserts) < 2:
        return inserts, None
    index: dict[tuple[str, tuple[Any, ...]], int] = {}
    for fk in self_fks:
        referred = tuple(e.column.name for e in fk.elements)
        for i, row in enumerate(inserts):
            values = row.values
            if all(values.get(c) is not None for c in referred):
                index[(_fk_id(fk), tuple(values[c] for c in referred))] = i
    edges: dict[str, set[str]] = {str(i): set() for i in range(len(inserts))}
    for fk in self_fks:
        local = tuple(e.parent.name for e in fk.elements)
        for i, row in enumerate(inserts):
            values = row.values
            if all(values.get(c) is not None for c in local):
                parent = index.get((_fk_id(fk), tuple(values[c] for c in local)))
                if parent is not None and parent != i:
                    edges[str(i)].add(str(parent))
    ordered = _kahn_stable(edges, len(inserts))
    if ordered is None:
        first = inserts[0]
        return inserts, Problem(
            rule="fk-cycle",
            message=f"rows of {table.name} reference each other in a cycle",
            path=first.path,
            line=first.line,
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
