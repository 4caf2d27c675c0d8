"""``poetry.lock`` (lock-version 1.x and 2.0, as written by Poetry 1.x/2.x)."""

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

# Package sources that are not a registry: the version is not a published release.
_LOCAL_SOURCES = ("git", "directory", "file", "url")


def parse(path: Path, rel: Rel) -> Parsed:
    lock = read_toml_lock(path, rel)
    parsed, relpath = lock.parsed, lock.relpath
    for entry, line in lock.entries:
        source = entry.get("source")
        # Poetry < 1.2 marks dev packages with category = "dev".
        dev = entry.get("category") == "dev"
        if (
            isinstance(source, dict)
            and source.get("type") == "directory"
            and first_party(path, source.get("url"))
        ):
            continue  # a folder of the repository (a monorepo member): first-party code
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
