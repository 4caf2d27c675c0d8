"""Offline OSV databases: a folder of OSV records (JSON or YAML, nested) or an OSV ``.zip``.

Parsing thousands of YAML records takes about a second, so the index built from them is
cached (in ``marshal`` format: plain tuples and strings, nothing that can run code when
read back) keyed by the database's path and every record file's name, size and
modification time (or the zip's size and time); any change rebuilds it. The cache lives in
the user's own cache folder and is only ever read back by this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import marshal
import os
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate.errors import GateError
from qualgate.fsutil import read_bytes_bounded
from qualgate.gates.dependency_scan.model import Advisory, Affected, Range
from qualgate.gates.dependency_scan.osv import OsvDataError, advisory_from_osv

_INDEX_FORMAT = 5
_SUFFIXES = (".json", ".yaml", ".yml")
# No OSV record comes near this; a larger file (or zip member: a zip bomb) is not read.
MAX_RECORD_BYTES = 16 * 1024 * 1024


Row = tuple[Any, ...]


def to_row(a: Advisory) -> Row:
    """An advisory as nested tuples of strings: loads several times faster than objects."""
    affected = tuple(
        (
            af.ecosystem,
            af.name,
            tuple((r.type, r.events) for r in af.ranges),
            af.versions,
        )
        for af in a.affected
    )
    return (
        a.id,
        a.aliases,
        a.summary,
        a.severity,
        a.severity_label,
        a.withdrawn,
        a.modified,
        affected,
        a.url,
        a.origin,
    )


def from_row(row: Row) -> Advisory:
    vid, aliases, summary, severity, label, withdrawn, modified, affected, url, origin = row
    return Advisory(
        id=vid,
        aliases=aliases,
        summary=summary,
        severity=severity,
        severity_label=label,
        withdrawn=withdrawn,
        modified=modified,
        affected=tuple(
            Affected(
                ecosystem=eco,
                name=name,
                ranges=tuple(Range(type=t, events=events) for t, events in ranges),
                versions=versions,
            )
            for eco, name, ranges, versions in affected
        ),
        url=url,
        origin=origin,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class OfflineDb:
    """Advisory rows indexed by (ecosystem, normalised name), plus what loading noticed.

    Rows become `Advisory` objects only when a scanned package asks for them.
    """

    path: str
    rows: list[Row]
    index: dict[tuple[str, str], tuple[int, ...]]
    records: int
    unreadable: tuple[tuple[str, str], ...]  # (file, reason)
    from_cache: bool
    memo: dict[int, Advisory] = field(default_factory=dict)

    def lookup(self, ecosystem: str, key: str) -> tuple[Advisory, ...]:
        out = []
        for number in self.index.get((ecosystem, key), ()):
            advisory = self.memo.get(number)
            if advisory is None:
                advisory = self.memo[number] = from_row(self.rows[number])
            out.append(advisory)
        return tuple(out)

    def packages(self) -> list[tuple[str, str]]:
        return sorted(self.index)

    def ecosystems(self) -> frozenset[str]:
        """The ecosystems the database has records for (it can only vouch for those)."""
        return frozenset(ecosystem for ecosystem, _ in self.index)


_NOTHING = object()


def load_yaml(stream: Any) -> Any:
    """Plain data from one YAML document, every scalar a string (timestamps too).

    Equivalent to ``yaml.load(stream, Loader=BaseLoader)`` for documents without anchors,
    but builds the objects straight from the (C) parser's events: PyYAML's constructor
    costs more than parsing, and the PyPA database is 2,661 YAML files.
    """
    import yaml
    from yaml.events import (
        AliasEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
    )

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)(stream)
    try:
        stack: list[list[Any]] = []  # [container, pending mapping key]
        root: Any = _NOTHING
        get_event = loader.get_event
        while True:
            event = get_event()
            kind = type(event)
            value: Any
            if kind is ScalarEvent:
                value = event.value
            elif kind is MappingStartEvent:
                stack.append([{}, _NOTHING])
                continue
            elif kind is SequenceStartEvent:
                stack.append([[], _NOTHING])
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = stack.pop()[0]
            elif kind is StreamEndEvent:
                break
            elif kind is AliasEvent:
                raise ValueError("YAML aliases are not used by OSV records")
            else:
                continue  # stream/document start and end
            if not stack:
                root = value
                continue
            top = stack[-1]
            container = top[0]
            if type(container) is list:
                container.append(value)
            elif top[1] is _NOTHING:
                top[1] = value
            else:
                container[top[1]] = value
                top[1] = _NOTHING
        return None if root is _NOTHING else root
    finally:
        loader.dispose()


def _listing(path: Path) -> list[tuple[str, int, int]]:
    """(relative name, size, mtime_ns) of every record file under ``path``, sorted.

    Links are followed only when they stay inside the database (``path`` is resolved): a
    database inside a repository must not lead the gate to read the runner's files.
    """
    out: list[tuple[str, int, int]] = []
    pending = [("", str(path))]
    real_db = str(path) + os.sep
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink() and not os.path.realpath(entry.path).startswith(real_db):
                    continue
                if entry.is_dir():
                    if not entry.is_symlink():  # no link cycles
                        pending.append((prefix + entry.name + "/", entry.path))
                elif entry.name.endswith(_SUFFIXES):
                    stat = entry.stat()
                    out.append((prefix + entry.name, stat.st_size, stat.st_mtime_ns))
    out.sort()
    return out


def _records_from_dir(path: Path, names: list[str]) -> Iterator[tuple[str, Any]]:
    import yaml

    for name in names:
        full = path / name
        try:
            data = read_bytes_bounded(full, MAX_RECORD_BYTES)
            if name.endswith(".json"):
                yield name, json.loads(data)
            else:
                yield name, load_yaml(io.BytesIO(data))  # a stream: the C parser reads it fastest
        except (OSError, ValueError, RecursionError, yaml.YAMLError) as exc:
            yield name, exc


def _records_from_zip(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise GateError(f"--vuln-db {path}: not a readable zip file: {exc}") from exc
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                yield info.filename, ValueError(f"{info.file_size} bytes: not an OSV record")
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_RECORD_BYTES + 1)
                if len(data) > MAX_RECORD_BYTES:
                    raise ValueError("larger than its declared size")
                yield info.filename, json.loads(data)
            except (OSError, ValueError, RecursionError, zipfile.BadZipFile) as exc:
                yield info.filename, exc


def _cache_path(cache_dir: Path, db: Path) -> Path:
    digest = hashlib.sha256(str(db).encode()).hexdigest()[:16]
    return cache_dir / "osv-index" / f"{db.name}-{digest}.marshal"


def _build(
    db: Path, items: Iterator[tuple[str, Any]]
) -> tuple[list[Row], dict[tuple[str, str], tuple[int, ...]], list[tuple[str, str]]]:
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    unreadable: list[tuple[str, str]] = []
    rows: list[Row] = []
    for name, data in items:
        if isinstance(data, Exception):
            unreadable.append((name, f"{type(data).__name__}: {data}".splitlines()[0]))
            continue
        try:
            advisory = advisory_from_osv(data, str(db / name))
        except OsvDataError as exc:
            unreadable.append((name, str(exc)))
            continue
        for key in {(a.ecosystem, a.name) for a in advisory.affected}:
            index[key].append(len(rows))
        rows.append(to_row(advisory))
    return rows, {k: tuple(v) for k, v in index.items()}, unreadable


def load(db: Path, cache_dir: Path | None) -> OfflineDb:
    """Load (or reuse the cached index of) the offline database at ``db``."""
    if not db.exists():
        raise GateError(
            f"--vuln-db {db}: no such file or folder",
            "point --vuln-db at a folder of OSV records or an OSV ecosystem .zip",
        )
    db = db.resolve()
    if db.is_dir():
        listing: Any = _listing(db)
    else:
        stat = db.stat()
        listing = (stat.st_size, stat.st_mtime_ns)
    key = hashlib.sha256(repr((_INDEX_FORMAT, str(db), listing)).encode()).hexdigest()
    cache = _cache_path(cache_dir, db) if cache_dir else None
    if cache is not None and cache.is_file():
        try:
            with open(cache, "rb") as handle:
                stored = marshal.load(handle)  # noqa: S302 - plain data, our own cache
            if isinstance(stored, dict) and stored.get("key") == key:
                return OfflineDb(
                    path=str(db),
                    rows=stored["rows"],
                    index=stored["index"],
                    records=len(stored["rows"]),
                    unreadable=tuple(stored["unreadable"]),
                    from_cache=True,
                )
        except (OSError, ValueError, EOFError, KeyError, TypeError):
            pass  # stale or corrupt: rebuild
    if db.is_dir():
        items = _records_from_dir(db, [name for name, _, _ in listing])
    else:
        items = _records_from_zip(db)
    rows, index, unreadable = _build(db, items)
    if not rows:
        raise GateError(
            f"--vuln-db {db}: no OSV records found"
            + (f" ({len(unreadable)} unreadable files)" if unreadable else ""),
            "point --vuln-db at a folder of OSV .json/.yaml records or an OSV ecosystem .zip",
        )
    if cache is not None:
        _store(cache, {"key": key, "rows": rows, "index": index, "unreadable": unreadable})
    return OfflineDb(
        path=str(db),
        rows=rows,
        index=index,
        records=len(rows),
        unreadable=tuple(unreadable),
        from_cache=False,
    )


def _store(path: Path, payload: dict[str, Any]) -> None:
    """Write the index atomically; an unwritable cache only costs speed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            marshal.dump(payload, handle)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
