"""``uv.lock``: registry packages are checked; the project itself and local sources are not."""

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
