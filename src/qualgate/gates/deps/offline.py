"""Offline OSV databases: a folder of OSV records (JSON or YAML, nested) or an OSV ``.zip``.

Parsing thousands of YAML records takes about a second, so the index built from them is
cached as a pickle keyed by the database's path and every record file's name, size and
modification time (or the zip's size and time); any change rebuilds it. The cache lives in
the user's own cache folder and is only ever read back by this module.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate.errors import GateError
from qualgate.gates.deps.model import Advisory
from qualgate.gates.deps.osv import OsvDataError, advisory_from_osv

_INDEX_FORMAT = 3
_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, kw_only=True, slots=True)
class OfflineDb:
    """Advisories by (ecosystem, normalised name), plus what loading noticed."""

    path: str
    index: dict[tuple[str, str], tuple[Advisory, ...]]
    records: int
    unreadable: tuple[tuple[str, str], ...]  # (file, reason)
    from_cache: bool

    def lookup(self, ecosystem: str, key: str) -> tuple[Advisory, ...]:
        return self.index.get((ecosystem, key), ())


def _yaml_loader() -> Any:
    import yaml

    # BaseLoader keeps every scalar a string (timestamps too), which is all OSV needs.
    return getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def _listing(path: Path) -> list[tuple[str, int, int]]:
    """(relative name, size, mtime_ns) of every record file under ``path``, sorted."""
    out: list[tuple[str, int, int]] = []
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(_SUFFIXES):
                full = os.path.join(folder, name)
                stat = os.stat(full)
                out.append((os.path.relpath(full, path), stat.st_size, stat.st_mtime_ns))
    out.sort()
    return out


def _records_from_dir(path: Path, names: list[str]) -> Iterator[tuple[str, Any]]:
    import yaml

    loader = _yaml_loader()
    for name in names:
        full = path / name
        try:
            with open(full, "rb") as handle:
                if name.endswith(".json"):
                    yield name, json.load(handle)
                else:
                    yield name, yaml.load(handle, Loader=loader)  # noqa: S506 - BaseLoader
        except (OSError, ValueError, yaml.YAMLError) as exc:
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
            try:
                yield info.filename, json.loads(archive.read(info))
            except (OSError, ValueError, zipfile.BadZipFile) as exc:
                yield info.filename, exc


def _cache_path(cache_dir: Path, db: Path) -> Path:
    digest = hashlib.sha256(str(db).encode()).hexdigest()[:16]
    return cache_dir / "osv-index" / f"{db.name}-{digest}.pickle"


def _build(
    db: Path, items: Iterator[tuple[str, Any]]
) -> tuple[dict[tuple[str, str], tuple[Advisory, ...]], int, list[tuple[str, str]]]:
    index: dict[tuple[str, str], list[Advisory]] = defaultdict(list)
    unreadable: list[tuple[str, str]] = []
    records = 0
    for name, data in items:
        if isinstance(data, Exception):
            unreadable.append((name, f"{type(data).__name__}: {data}".splitlines()[0]))
            continue
        try:
            advisory = advisory_from_osv(data, str(db / name))
        except OsvDataError as exc:
            unreadable.append((name, str(exc)))
            continue
        records += 1
        for key in {(a.ecosystem, a.name) for a in advisory.affected}:
            index[key].append(advisory)
    return {k: tuple(v) for k, v in index.items()}, records, unreadable


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
                stored = pickle.load(handle)  # noqa: S301 - our own cache file
            if isinstance(stored, dict) and stored.get("key") == key:
                return OfflineDb(
                    path=str(db),
                    index=stored["index"],
                    records=stored["records"],
                    unreadable=tuple(stored["unreadable"]),
                    from_cache=True,
                )
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError):
            pass  # stale or corrupt: rebuild
    if db.is_dir():
        items = _records_from_dir(db, [name for name, _, _ in listing])
    else:
        items = _records_from_zip(db)
    index, records, unreadable = _build(db, items)
    if records == 0:
        raise GateError(
            f"--vuln-db {db}: no OSV records found"
            + (f" ({len(unreadable)} unreadable files)" if unreadable else ""),
            "point --vuln-db at a folder of OSV .json/.yaml records or an OSV ecosystem .zip",
        )
    if cache is not None:
        _store(cache, {"key": key, "index": index, "records": records, "unreadable": unreadable})
    return OfflineDb(
        path=str(db),
        index=index,
        records=records,
        unreadable=tuple(unreadable),
        from_cache=False,
    )


def _store(path: Path, payload: dict[str, Any]) -> None:
    """Write the index atomically; an unwritable cache only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
