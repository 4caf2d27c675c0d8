"""Reading seed files: YAML, JSON and CSV, every row remembering its file and line.

A YAML or JSON file holds one or several documents ``{table, key, rows}``; a CSV file is
named after its table and its header row names the columns. Each row becomes a `SeedRow`
with the 1-based line where it starts, so any later finding (a bad value, a missing parent,
a drifted row) points at the exact place in the seed file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qualgate.fsutil import ReadRefused, read_text_bounded
from qualgate.gates.seed import jsonpos, yamlload

SUFFIXES = (".yaml", ".yml", ".json", ".csv")


@dataclass(frozen=True, kw_only=True, slots=True)
class SeedRow:
    """One row as written in a seed file (values not yet converted)."""

    values: Mapping[str, Any]
    path: str
    line: int
    # CSV cells are text: JSON columns parse them, other columns convert them.
    from_csv: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class SeedDoc:
    """One ``{table, key, rows}`` document (a whole CSV file is one document)."""

    table: str
    key: tuple[str, ...] | None
    rows: tuple[SeedRow, ...]
    path: str
    line: int
    # CSV files keep their cells as records (no per-row objects: 100,000-row files are
    # common); `row(i)` builds a `SeedRow` when one is needed to report a problem.
    columns: tuple[str, ...] = ()
    records: tuple[tuple[str | None, ...], ...] = ()
    lines: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        return len(self.records) if self.records else len(self.rows)

    def row(self, index: int) -> SeedRow:
        if not self.records:
            return self.rows[index]
        return SeedRow(
            values=dict(zip(self.columns, self.records[index], strict=True)),
            path=self.path,
            line=self.lines[index],
            from_csv=True,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class FileProblem:
    """A seed file that cannot be read as seeds: it becomes a finding at path:line."""

    rule: str
    message: str
    path: str
    line: int | None = None


def seed_files(directory: Path) -> list[Path]:
    """The seed files directly in ``directory`` (sub-folders are environment overlays).

    Every entry with a seed suffix that is not a folder counts, dangling links and
    devices included: `read_file` turns each that cannot be read into a finding, so a
    seed file is never skipped in silence.
    """
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.suffix.lower() in SUFFIXES and (p.is_symlink() or not p.is_dir())
    )


def _unreadable(path: Path, root: Path | None) -> str | None:
    """Why ``path`` is not read, or None when it may be."""
    if path.is_symlink() and not path.exists():
        return "a symbolic link to a file that does not exist"
    if root is not None:
        real = path.resolve()
        if not real.is_relative_to(root.resolve()):
            return "a symbolic link to a file outside the project (not read)"
    return None


def read_file(
    path: Path, shown: str, root: Path | None = None
) -> tuple[list[SeedDoc], list[FileProblem]]:
    """Parse one seed file; ``shown`` is the path findings use (root-relative).

    Only regular files inside ``root`` are read, with a size cap (`qualgate.fsutil`).
    """
    why = _unreadable(path, root)
    if why is not None:
        return [], [FileProblem(rule="unreadable-file", message=f"cannot read: {why}", path=shown)]
    try:
        text = read_text_bounded(path)
    except ReadRefused as exc:
        reason = str(exc).replace(str(path), "the file")
        return [], [
            FileProblem(rule="unreadable-file", message=f"cannot read: {reason}", path=shown)
        ]
    except UnicodeDecodeError as exc:
        return [], [
            FileProblem(
                rule="unreadable-file",
                message=f"cannot read: not UTF-8 text (byte {exc.start})",
                path=shown,
            )
        ]
    except OSError as exc:
        return [], [
            FileProblem(
                rule="unreadable-file", message=f"cannot read: {exc.strerror or exc}", path=shown
            )
        ]
    text = text.removeprefix("\ufeff")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if "\x00" in text:
            line = text.count("\n", 0, text.index("\x00")) + 1
            return [], [
                FileProblem(
                    rule="invalid-file",
                    message="invalid CSV: the file contains a NUL byte",
                    path=shown,
                    line=line,
                )
            ]
        return _read_csv(text, path.stem, shown)
    if suffix == ".json":
        return _read_json(text, shown)
    return _read_yaml(text, shown)


# ---------------------------------------------------------------------------
# YAML


def _read_yaml(text: str, shown: str) -> tuple[list[SeedDoc], list[FileProblem]]:
    try:
        documents = yamlload.load(text)
    except yamlload.Refused as exc:
        message = str(exc).splitlines()[0][:200]
        return [], [
            FileProblem(
                rule="invalid-file", message=f"invalid YAML: {message}", path=shown, line=exc.line
            )
        ]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return [], [
            FileProblem(
                rule="invalid-file", message=f"invalid YAML: {problem}", path=shown, line=line
            )
        ]
    docs: list[SeedDoc] = []
    problems: list[FileProblem] = []
    for document in documents:
        if document is None:
            continue
        doc_line: int = getattr(document, "line", 1)
        _to_doc(document, shown, doc_line, _yaml_rows, docs, problems)
    return docs, problems


def _yaml_rows(rows: list[Any], shown: str, doc_line: int) -> Iterator[tuple[Any, int]]:
    lines = getattr(rows, "lines", None) or [doc_line] * len(rows)
    yield from zip(rows, lines, strict=True)


# ---------------------------------------------------------------------------
# JSON: the standard parser gives no positions, so the rows array is walked with
# ``raw_decode`` (C speed per row) and each row's offset is turned into a line.


def _read_json(text: str, shown: str) -> tuple[list[SeedDoc], list[FileProblem]]:
    try:
        data, doc_lines, row_lines = jsonpos.parse(text)
    except json.JSONDecodeError as exc:
        return [], [
            FileProblem(
                rule="invalid-file", message=f"invalid JSON: {exc.msg}", path=shown, line=exc.lineno
            )
        ]
    documents = data if isinstance(data, list) else [data]
    docs: list[SeedDoc] = []
    problems: list[FileProblem] = []
    for index, document in enumerate(documents):
        doc_line = doc_lines.get(index, 1)

        def rows_of(
            rows: list[Any], _shown: str, _line: int, index: int = index
        ) -> Iterator[tuple[Any, int]]:
            for n, item in enumerate(rows):
                yield item, row_lines.get((index, n), doc_lines.get(index, 1))

        _to_doc(document, shown, doc_line, rows_of, docs, problems)
    return docs, problems


# ---------------------------------------------------------------------------
# Shared document shape


# rows, shown path, document line -> (row, its line) per row
RowsOf = Callable[[list[Any], str, int], Iterable[tuple[Any, int]]]


def _to_doc(
    document: Any,
    shown: str,
    line: int,
    rows_of: RowsOf,
    docs: list[SeedDoc],
    problems: list[FileProblem],
) -> None:
    def bad(message: str, at: int = line) -> None:
        problems.append(FileProblem(rule="invalid-document", message=message, path=shown, line=at))

    if not isinstance(document, dict):
        bad("a seed document must be a mapping with `table` and `rows`")
        return
    unknown = sorted(set(document) - {"table", "key", "rows"})
    if unknown:
        bad(f"unknown document key(s) {', '.join(map(str, unknown))}: expected table, key, rows")
        return
    table = document.get("table")
    if not isinstance(table, str) or not table:
        bad("`table` must be a non-empty string")
        return
    key = document.get("key")
    if isinstance(key, str):
        key = [key]
    if key is not None and (
        not isinstance(key, list) or not key or not all(isinstance(k, str) and k for k in key)
    ):
        bad("`key` must be a column name or a list of column names")
        return
    rows = document.get("rows")
    if not isinstance(rows, list):
        bad("`rows` must be a list of mappings")
        return
    out: list[SeedRow] = []
    for item, row_line in rows_of(rows, shown, line):
        if not isinstance(item, dict) or not all(isinstance(k, str) for k in item):
            bad("each row must be a mapping of column names to values", row_line)
            continue
        out.append(SeedRow(values=dict(item), path=shown, line=row_line))
    docs.append(
        SeedDoc(
            table=table,
            key=tuple(key) if key is not None else None,
            rows=tuple(out),
            path=shown,
            line=line,
        )
    )


# ---------------------------------------------------------------------------
# CSV: header row = columns; an empty cell is NULL (csv cannot tell "" from nothing).


def _read_csv(text: str, table: str, shown: str) -> tuple[list[SeedDoc], list[FileProblem]]:
    # Lines end at \n, \r or \r\n only: str.splitlines would also cut at a form feed
    # or U+2028 inside a cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [
            FileProblem(rule="invalid-file", message=f"invalid CSV: {exc}", path=shown, line=1)
        ]
    if header is None:
        return [], []
    columns = [h.strip() for h in header]
    if any(not c for c in columns) or len(set(columns)) != len(columns):
        return [], [
            FileProblem(
                rule="invalid-file",
                message="the CSV header must name each column once (no empty or repeated names)",
                path=shown,
                line=1,
            )
        ]
    records: list[tuple[str | None, ...]] = []
    lines: list[int] = []
    problems: list[FileProblem] = []
    width = len(columns)
    previous_end = reader.line_num
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not record or (len(record) == 1 and not record[0].strip() and width > 1):
                continue  # blank line
            if len(record) != width:
                problems.append(
                    FileProblem(
                        rule="invalid-row",
                        message=f"row has {len(record)} cells, the header has {width}",
                        path=shown,
                        line=start,
                    )
                )
                continue
            # `or None`: an empty cell is NULL, any other text stays as it is.
            records.append(tuple(v or None for v in record) if "" in record else tuple(record))
            lines.append(start)
    except csv.Error as exc:
        problems.append(
            FileProblem(
                rule="invalid-file", message=f"invalid CSV: {exc}", path=shown, line=reader.line_num
            )
        )
        return [], problems
    doc = SeedDoc(
        table=table,
        key=None,
        rows=(),
        path=shown,
        line=1,
        columns=tuple(columns),
        records=tuple(records),
        lines=tuple(lines),
    )
    return [doc], problems
