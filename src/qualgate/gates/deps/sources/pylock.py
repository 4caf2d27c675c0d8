"""``pylock.toml`` / ``pylock.<name>.toml`` (PEP 751 lock files)."""

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

# Keys of a [[packages]] entry that mean "not from an index" (PEP 751).
_LOCAL_KEYS = ("vcs", "directory", "archive")


def parse(path: Path, rel: Rel) -> Parsed:
    parsed = Parsed()
    relpath = rel(path)
    parsed.files.append(relpath)
    text = read_text(path)
    data = load_toml(text)
    if "lock-version" not in data:
        raise SourceError("not a PEP 751 lock file: no lock-version key", 1)
    packages = data.get("packages", [])
    if not isinstance(packages, list):
        raise SourceError("[[packages]] is not an array of tables")
    lines = toml_package_lines(text, "packages")
    for index, entry in enumerate(packages):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SourceError("a [[packages]] entry has no name", line)
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
