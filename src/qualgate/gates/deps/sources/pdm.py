"""``pdm.lock``: the old layout (lock_version 3.x, ``[metadata.files]``) and the new one (4.x)."""

from __future__ import annotations

from pathlib import Path

from qualgate.gates.deps.sources._common import (
    Parsed,
    Rel,
    SourceError,
    load_toml,
    pinned,
    read_text,
    toml_package_lines,
    unscannable,
)

_LOCAL_KEYS = ("git", "path", "url")


def parse(path: Path, rel: Rel) -> Parsed:
    parsed = Parsed()
    relpath = rel(path)
    parsed.files.append(relpath)
    text = read_text(path)
    data = load_toml(text)
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise SourceError("[[package]] is not an array of tables")
    lines = toml_package_lines(text)
    for index, entry in enumerate(packages):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SourceError("a [[package]] entry has no name", line)
        # Old layout: `sections = ["dev"]`; new layout: `groups = ["dev"]`.
        groups = entry.get("groups", entry.get("sections", ["default"]))
        dev = isinstance(groups, list) and bool(groups) and "default" not in groups
        name: str = entry["name"]
        if "[" in name:
            name = name.split("[", 1)[0]  # old layout locks "pkg[extra]" as its own entry
        local = next((k for k in _LOCAL_KEYS if k in entry), None)
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
