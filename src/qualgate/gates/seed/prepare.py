"""From seed documents to each table's rows: converted by column type, overlays merged by key.

Every defect (an unknown table or column, a missing or duplicate key, a value that does
not convert) becomes a `Problem` at the seed file and row line; a table with any problem
yields no rows.
"""

from __future__ import annotations

import itertools
import operator
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import MetaData, Table

from qualgate.gates.seed.convert import (
    ConversionError,
    Converter,
    batch_converter,
    converter_for,
)
from qualgate.gates.seed.files import SeedDoc, SeedRow
from qualgate.gates.seed.plan import Problem, Row, TableSeeds


def table_seeds(
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
    not_null = frozenset(c.name for c in table.columns if not c.nullable)
    single = len(key) == 1
    key_of = operator.itemgetter(*key)
    merged: dict[tuple[Any, ...], Row] = {}
    seen_overlay: dict[tuple[Any, ...], Row] = {}
    count_before = len(problems)
    for doc, is_overlay in docs:
        path = doc.path
        for line, converted, raw in _convert_doc(doc, converters, not_null):
            values = converted
            if values is None:
                assert raw is not None  # noqa: S101 - _convert_doc gives the raw row then
                values = _convert_row(raw, name, converters, not_null, problems)
                if values is None:
                    continue
            try:
                row_key = (values[key[0]],) if single else key_of(values)
            except KeyError:
                row_key = None
            if row_key is None or None in row_key:
                missing = [k for k in key if values.get(k) is None]
                problems.append(
                    Problem(
                        rule="missing-key",
                        message=f"row has no value for key column(s) {', '.join(missing)}",
                        path=path,
                        line=line,
                        table=name,
                    )
                )
                continue
            # Base documents come before overlays, so until the first overlay row the
            # merged rows are exactly the base rows seen so far.
            first = seen_overlay.get(row_key) if is_overlay else merged.get(row_key)
            if first is not None:
                problems.append(
                    Problem(
                        rule="duplicate-key",
                        message=f"{name} key ({_show_key(row_key)}) is already seeded at "
                        f"{first.path}:{first.line}",
                        path=path,
                        line=line,
                        table=name,
                    )
                )
                continue
            row = Row(values=values, key=row_key, path=path, line=line)
            if is_overlay:
                seen_overlay[row_key] = row
                base_row = merged.get(row_key)
                if base_row is not None:
                    # Overlay columns replace the base row's; the others are kept.
                    row = Row(
                        values={**base_row.values, **values},
                        key=row_key,
                        path=path,
                        line=line,
                    )
            merged[row_key] = row
    if len(problems) > count_before:
        return None
    return TableSeeds(table=table, key=key, rows=tuple(merged.values()))


def _convert_doc(
    doc: SeedDoc, converters: Mapping[str, Converter], not_null: frozenset[str]
) -> Iterator[tuple[int, dict[str, Any] | None, SeedRow | None]]:
    """(line, converted values, raw row) per row; values None when the row has a problem.

    Runs of rows with the same columns (a whole CSV file, most YAML files) are converted
    column by column, which is several times faster for large files than cell by cell;
    a run with any problem falls back to row by row so that each problem gets its line.
    The raw row is only built when it is needed (None for rows that converted).
    """
    if doc.records:
        cells = list(zip(*doc.records, strict=True))
        converted = _convert_cells(doc.columns, cells, True, converters, not_null)
        if converted is not None:
            yield from zip(doc.lines, converted, itertools.repeat(None))
            return
        for index in range(doc.size):
            raw = doc.row(index)
            yield raw.line, _convert_one(raw, converters, not_null), raw
        return
    rows = doc.rows
    start = 0
    while start < len(rows):
        columns = tuple(rows[start].values)
        end = start + 1
        while end < len(rows) and tuple(rows[end].values) == columns:
            end += 1
        run = rows[start:end]
        cells = list(zip(*(tuple(raw.values.values()) for raw in run), strict=True))
        batch = _convert_cells(columns, cells, run[0].from_csv, converters, not_null)
        if batch is None:
            for raw in run:
                yield raw.line, _convert_one(raw, converters, not_null), raw
        else:
            for raw, values in zip(run, batch, strict=True):
                yield raw.line, values, raw
        start = end


def _convert_cells(
    columns: tuple[str, ...],
    cells: list[tuple[Any, ...]],
    from_csv: bool,
    converters: Mapping[str, Converter],
    not_null: frozenset[str],
) -> list[dict[str, Any]] | None:
    """Convert a run column by column; None when any cell is wrong."""
    if not columns or any(c not in converters for c in columns):
        return None
    converted: list[list[Any]] = []
    try:
        for column, values in zip(columns, cells, strict=True):
            convert = converters[column]
            fast = batch_converter(convert) if from_csv else None
            if fast is not None:
                out = fast(values)
            else:
                out = [None if v is None else convert(v, from_csv) for v in values]
            if column in not_null and None in out:
                return None
            converted.append(out)
    except (ConversionError, ValueError, KeyError, AttributeError, ArithmeticError):
        return None
    return [dict(zip(columns, cell, strict=True)) for cell in zip(*converted, strict=True)]


def _convert_one(
    raw: SeedRow, converters: Mapping[str, Converter], not_null: frozenset[str]
) -> dict[str, Any] | None:
    """The converted row, or None when anything is wrong (the slow path then says what)."""
    from_csv = raw.from_csv
    try:
        values = {
            column: None if value is None else converters[column](value, from_csv)
            for column, value in raw.values.items()
        }
    except (KeyError, ConversionError):
        return None
    if None in values.values() and any(values[c] is None for c in not_null & values.keys()):
        return None
    return values


def _convert_row(
    raw: SeedRow,
    name: str,
    converters: Mapping[str, Converter],
    not_null: frozenset[str],
    problems: list[Problem],
) -> dict[str, Any] | None:
    """Convert one row, recording every problem in it; None when there was one."""
    values: dict[str, Any] = {}
    bad = False

    def problem(rule: str, message: str, column: str) -> None:
        problems.append(
            Problem(
                rule=rule,
                message=message,
                path=raw.path,
                line=raw.line,
                table=name,
                data={"column": column},
            )
        )

    for column, value in raw.values.items():
        convert = converters.get(column)
        if convert is None:
            problem("unknown-column", f"{name!r} has no column {column!r}", column)
            bad = True
        elif value is None:
            if column in not_null:
                problem(
                    "not-null", f"{name}.{column} is NOT NULL but the row sets it to null", column
                )
                bad = True
            values[column] = None
        else:
            try:
                values[column] = convert(value, raw.from_csv)
            except ConversionError as exc:
                problem("bad-value", f"{name}.{column}: {exc}", column)
                bad = True
    return None if bad else values


def _show_key(key: tuple[Any, ...]) -> str:
    return ", ".join(repr(k) for k in key)
