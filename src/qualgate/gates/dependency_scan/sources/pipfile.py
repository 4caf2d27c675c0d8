"""``Pipfile.lock`` (pipenv): the ``default`` and ``develop`` sections."""

from __future__ import annotations

from pathlib import Path

from qualgate.gates.dependency_scan.model import normalize_name
from qualgate.gates.dependency_scan.sources._common import (
    Parsed,
    Rel,
    SourceError,
    exact_version,
    load_json,
    pinned,
    read_text,
    unscannable,
)
from qualgate.gates.dependency_scan.sources._lines import LineFinder

_LOCAL_KEYS = ("git", "hg", "svn", "bzr", "path", "file")


def parse(path: Path, rel: Rel) -> Parsed:
    parsed = Parsed()
    relpath = rel(path)
    parsed.files.append(relpath)
    text = read_text(path)
    data = load_json(text)
    if not isinstance(data, dict):
        raise SourceError("Pipfile.lock is not a JSON object", 1)
    finder = LineFinder(text)
    for section in ("default", "develop"):
        entries = data.get(section, {})
        if not isinstance(entries, dict):
            raise SourceError(f"section {section!r} is not an object")
        _, offset = finder.find_key(section)
        for name, entry in entries.items():
            line, after = finder.find_key(name, offset, "{")
            if line is not None:
                offset = after
            if not isinstance(entry, dict):
                raise SourceError(f"entry {name!r} is not an object", line)
            parsed.locked.add(normalize_name(name))
            dev = section == "develop"
            local = next((k for k in _LOCAL_KEYS if k in entry), None)
            if local is not None:
                parsed.dependencies.append(
                    unscannable(
                        name,
                        f"{local} {entry[local]}",
                        path=relpath,
                        line=line,
                        source="Pipfile.lock",
                        dev=dev,
                    )
                )
                continue
            version = entry.get("version")
            exact = exact_version(version) if isinstance(version, str) else None
            parsed.dependencies.append(
                pinned(
                    name,
                    exact,
                    path=relpath,
                    line=line,
                    source="Pipfile.lock",
                    dev=dev,
                    marker=entry.get("markers") if isinstance(entry.get("markers"), str) else None,
                )
            )
    parsed.locks.append(relpath)
    return parsed
