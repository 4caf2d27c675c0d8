"""The plan: what to insert, update or leave, from each table's seed rows and stored rows.

The pieces every stage shares live here: a `Problem` in the seeds (at a file and line), a
converted seed `Row`, a table's `TableSeeds` (built by `prepare`, ordered by `order`), and
the `TablePlan` that `diff` makes against what the database holds (read by `stored`).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from qualgate.gates.seed.convert import (
    same,
)
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


# What the database holds: (column -> position, key -> stored row as a sequence).
Stored = tuple[Mapping[str, int], Mapping[tuple[Any, ...], Sequence[Any]]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    row: Row
    columns: tuple[str, ...]  # the columns whose value differs
    before: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class TablePlan:
    seeds: TableSeeds
    inserts: tuple[Row, ...]
    updates: tuple[Change, ...]
    unchanged: int

    @property
    def name(self) -> str:
        return self.seeds.table.name


def seeded_tables(docs: Iterable[SeedDoc]) -> list[str]:
    return sorted({d.table for d in docs})


def diff(seeds: TableSeeds, stored_rows: Stored) -> TablePlan:
    """Compare each seed row with the stored row of the same key."""
    index, existing = stored_rows
    columns = tuple(index)
    # A row that gives every read column compares as one tuple, in C.
    pick = operator.itemgetter(*columns) if len(columns) > 1 else None
    inserts: list[Row] = []
    updates: list[Change] = []
    unchanged = 0
    for row in seeds.rows:
        stored = existing.get(row.key)
        if stored is None:
            inserts.append(row)
            continue
        if pick is not None and len(row.values) == len(columns):
            try:
                if pick(row.values) == tuple(stored):
                    unchanged += 1
                    continue
            except KeyError:
                pass
        changed = tuple(
            c
            for c, v in row.values.items()
            # `==` first: cheap and right for all but floats and naive/aware datetimes.
            if not (stored[index[c]] == v or same(stored[index[c]], v))
        )
        if changed:
            updates.append(
                Change(row=row, columns=changed, before={c: stored[index[c]] for c in changed})
            )
        else:
            unchanged += 1
    return TablePlan(
        seeds=seeds, inserts=tuple(inserts), updates=tuple(updates), unchanged=unchanged
    )


def describe_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
