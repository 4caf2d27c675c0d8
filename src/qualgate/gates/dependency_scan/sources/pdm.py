"""``pdm.lock``: the old layout (lock_version 3.x, ``[metadata.files]``) and the new one (4.x)."""

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

_LOCAL_KEYS = ("git", "path", "url")


def parse(path: Path, rel: Rel) -> Parsed:
    lock = read_toml_lock(path, rel)
    parsed, relpath = lock.parsed, lock.relpath
    for entry, line in lock.entries:
        # Old layout: `sections = ["dev"]`; new layout: `groups = ["dev"]`.
        groups = entry.get("groups", entry.get("sections", ["default"]))
        dev = isinstance(groups, list) and bool(groups) and "default" not in groups
        name: str = entry["name"]
        if "[" in name:
            name = name.split("[", 1)[0]  # old layout locks "pkg[extra]" as its own entry
        local = next((k for k in _LOCAL_KEYS if k in entry), None)
        if local == "path" and first_party(path, entry["path"]):
            continue  # a folder of the repository (a monorepo member): first-party code
        if local is not None or entry.get("editable"):
            detail = entry.get(local) if local else "editable"
            parsed.dependencies.append(
                unscannable(
                    name,
                    f"{local or 'editable'} {detail}",
                    path=relpath,
                    line=line,
                    source="pdm.lock",
                    version=entry.get("version"),
                    dev=dev,
                )
            )
            continue
        parsed.dependencies.append(
            pinned(name, entry.get("version"), path=relpath, line=line, source="pdm.lock", dev=dev)
        )
    return parsed
