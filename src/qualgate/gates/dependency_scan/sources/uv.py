"""``uv.lock``: registry packages are checked; the project itself and local sources are not."""

from __future__ import annotations

from pathlib import Path

from qualgate.gates.dependency_scan.sources._common import (
    Parsed,
    Rel,
    pinned,
    read_toml_lock,
    unscannable,
)
from qualgate.gates.dependency_scan.sources._lines import first_party


def parse(path: Path, rel: Rel) -> Parsed:
    lock = read_toml_lock(path, rel)
    parsed, relpath = lock.parsed, lock.relpath
    for entry, line in lock.entries:
        source = entry.get("source", {})
        if not isinstance(source, dict):
            source = {}
        if "registry" in source:
            parsed.dependencies.append(
                pinned(
                    entry["name"], entry.get("version"), path=relpath, line=line, source="uv.lock"
                )
            )
            continue
        if "virtual" in source or "editable" in source:
            continue  # the project or a workspace member, not a published dependency
        if "directory" in source and first_party(path, source["directory"]):
            continue  # a folder of the repository: first-party code
        kind = next(iter(source), "unknown source")
        parsed.dependencies.append(
            unscannable(
                entry["name"],
                f"{kind} {source.get(kind, '')}".strip(),
                path=relpath,
                line=line,
                source="uv.lock",
                version=entry.get("version"),
            )
        )
    return parsed
