"""``package-lock.json`` / ``npm-shrinkwrap.json``, lockfileVersion 1, 2 and 3 (npm ecosystem).

v2/v3 list every installed package under ``packages`` keyed by its ``node_modules/...`` path
(with a ``license`` field); v1 nests ``dependencies``. Workspace links and the root project are
not dependencies; ``file:``/git sources are reported as unscannable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qualgate.gates.dependency_scan.model import Ecosystem
from qualgate.gates.dependency_scan.sources._common import (
    Parsed,
    Rel,
    SourceError,
    load_json,
    pinned,
    read_text,
    unscannable,
)
from qualgate.gates.dependency_scan.sources._lines import LineFinder

_REGISTRY_VERSION = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$")


def _license(entry: dict[str, Any]) -> tuple[str, ...]:
    value = entry.get("license")
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return (value["type"],)
    return ()


def parse(path: Path, rel: Rel) -> Parsed:
    parsed = Parsed()
    relpath = rel(path)
    parsed.files.append(relpath)
    text = read_text(path)
    data = load_json(text)
    if not isinstance(data, dict):
        raise SourceError("not a JSON object", 1)
    finder = LineFinder(text)
    version = data.get("lockfileVersion", 1)
    packages = data.get("packages")
    if isinstance(version, int) and version >= 2 and isinstance(packages, dict):
        _parse_packages(packages, finder, relpath, parsed)
    else:
        deps = data.get("dependencies", {})
        if not isinstance(deps, dict):
            raise SourceError("dependencies is not an object")
        _parse_v1(deps, finder, relpath, parsed, 0)
    return parsed


def _add(
    name: str,
    entry: dict[str, Any],
    relpath: str,
    line: int | None,
    parsed: Parsed,
) -> None:
    version = entry.get("version")
    resolved = entry.get("resolved", "")
    dev = bool(entry.get("dev") or entry.get("devOptional"))
    is_registry = isinstance(version, str) and bool(_REGISTRY_VERSION.match(version))
    local = isinstance(resolved, str) and resolved.startswith(("file:", "git+", "git:", "github:"))
    if not is_registry or local:
        parsed.dependencies.append(
            unscannable(
                name,
                str(resolved or version or "no version"),
                path=relpath,
                line=line,
                source="package-lock.json",
                ecosystem=Ecosystem.NPM,
                dev=dev,
            )
        )
        return
    parsed.dependencies.append(
        pinned(
            name,
            version,
            path=relpath,
            line=line,
            source="package-lock.json",
            ecosystem=Ecosystem.NPM,
            dev=dev,
            licenses=_license(entry),
        )
    )


def _parse_packages(
    packages: dict[str, Any], finder: LineFinder, relpath: str, parsed: Parsed
) -> None:
    _, offset = finder.find_key("packages")
    for key, entry in packages.items():
        if not key or "node_modules/" not in key:
            continue  # the root project or a workspace folder: not a dependency
        if not isinstance(entry, dict):
            raise SourceError(f"entry {key!r} is not an object")
        if entry.get("link"):
            continue  # a symlink to a workspace package
        line, after = finder.find_key(key, offset, "{")
        if line is not None:
            offset = after  # entries come in file order: the search moves forward
        name = entry.get("name") or key.rsplit("node_modules/", 1)[1]
        _add(str(name), entry, relpath, line, parsed)


def _parse_v1(
    deps: dict[str, Any], finder: LineFinder, relpath: str, parsed: Parsed, offset: int
) -> int:
    for name, entry in deps.items():
        if not isinstance(entry, dict):
            raise SourceError(f"entry {name!r} is not an object")
        line, after = finder.find_key(name, offset, "{")
        if line is not None:
            offset = after
        _add(name, entry, relpath, line, parsed)
        nested = entry.get("dependencies")
        if isinstance(nested, dict):
            offset = _parse_v1(nested, finder, relpath, parsed, offset)
    return offset
