"""``poetry.lock`` (lock-version 1.x and 2.0, as written by Poetry 1.x/2.x)."""

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

# Package sources that are not a registry: the version is not a published release.
_LOCAL_SOURCES = ("git", "directory", "file", "url")


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
        source = entry.get("source")
        # Poetry < 1.2 marks dev packages with category = "dev".
        dev = entry.get("category") == "dev"
        if isinstance(source, dict) and source.get("type") in _LOCAL_SOURCES:
            parsed.dependencies.append(
                unscannable(
                    entry["name"],
                    f"{source.get('type')} {source.get('url', '')}".strip(),
                    path=relpath,
                    line=line,
                    source="poetry.lock",
                    version=entry.get("version"),
                    dev=dev,
                )
            )
            continue
        parsed.dependencies.append(
            pinned(
                entry["name"],
                entry.get("version"),
                path=relpath,
                line=line,
                source="poetry.lock",
                dev=dev,
            )
        )
    return parsed
