"""``pylock.toml`` / ``pylock.<name>.toml`` (PEP 751 lock files)."""

from __future__ import annotations

from pathlib import Path

from qualgate.gates.dependency_scan.sources._common import (
    Parsed,
    Rel,
    SourceError,
    pinned,
    read_toml_lock,
    unscannable,
)

# Keys of a [[packages]] entry that mean "not from an index" (PEP 751).
_LOCAL_KEYS = ("vcs", "directory", "archive")


def parse(path: Path, rel: Rel) -> Parsed:
    lock = read_toml_lock(path, rel, "packages")
    if "lock-version" not in lock.data:
        raise SourceError("not a PEP 751 lock file: no lock-version key", 1)
    parsed, relpath = lock.parsed, lock.relpath
    for entry, line in lock.entries:
        marker = entry.get("marker") if isinstance(entry.get("marker"), str) else None
        local = next((k for k in _LOCAL_KEYS if k in entry), None)
        if local is not None:
            where = entry[local]
            detail = where.get("url") or where.get("path") if isinstance(where, dict) else where
            parsed.dependencies.append(
                unscannable(
                    entry["name"],
                    f"{local} {detail or ''}".strip(),
                    path=relpath,
                    line=line,
                    source="pylock.toml",
                    version=entry.get("version"),
                )
            )
            continue
        parsed.dependencies.append(
            pinned(
                entry["name"],
                entry.get("version"),
                path=relpath,
                line=line,
                source="pylock.toml",
                marker=marker,
            )
        )
    return parsed
