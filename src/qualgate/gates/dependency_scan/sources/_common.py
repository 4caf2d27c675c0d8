"""Helpers the input parsers share: reading TOML/JSON with located errors, finding lines."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from qualgate.gates.dependency_scan.model import Dependency, Ecosystem, PinKind, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

Rel = Callable[[Path], str]


@dataclass(kw_only=True, slots=True)
class Parsed:
    """Mutable collector one parser fills; frozen into `model.Inputs` by the caller."""

    dependencies: list[Dependency] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def extend(self, other: Parsed) -> None:
        self.dependencies.extend(other.dependencies)
        self.problems.extend(other.problems)
        self.files.extend(f for f in other.files if f not in self.files)


class SourceError(Exception):
    """A file that cannot be read as its format: becomes a parse-error finding."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text: {exc.reason}") from exc
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from exc


_TOML_LINE = re.compile(r"at line (\d+)")


def load_toml(text: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = int(found.group(1)) if found else None
        if line is None and "end of document" in str(exc):
            line = max(1, len(text.splitlines()))
        raise SourceError(f"invalid TOML: {exc}", line) from exc


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid JSON: {exc.msg}", exc.lineno) from exc


class LineFinder:
    """Finds the line of a key in a file's text, moving forward so repeats resolve in order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0]
        for match in re.finditer("\n", text):
            self._starts.append(match.end())

    def line_of(self, offset: int) -> int:
        import bisect

        return bisect.bisect_right(self._starts, offset)

    def find(self, pattern: str, start: int = 0) -> tuple[int | None, int]:
        """(line, offset after the match) of the first regex match at or after ``start``."""
        match = re.compile(pattern, re.MULTILINE).search(self.text, start)
        if match is None:
            return None, start
        return self.line_of(match.start()), match.end()


def toml_package_lines(text: str, table: str = "package") -> list[int | None]:
    """Line of the ``name = ...`` key of each ``[[table]]`` entry, in order."""
    finder = LineFinder(text)
    lines: list[int | None] = []
    header = re.compile(rf"^\[\[{re.escape(table)}\]\]\s*$", re.MULTILINE)
    name_key = re.compile(r"^\s*name\s*=", re.MULTILINE)
    for match in header.finditer(text):
        found = name_key.search(text, match.end())
        next_header = re.compile(r"^\[", re.MULTILINE).search(text, match.end())
        if found and (next_header is None or found.start() < next_header.start()):
            lines.append(finder.line_of(found.start()))
        else:
            lines.append(finder.line_of(match.start()))
    return lines


@dataclass(frozen=True, kw_only=True, slots=True)
class TomlLock:
    """A TOML lock file read up to its package entries (poetry, uv, pdm, pylock)."""

    parsed: Parsed
    relpath: str
    data: dict[str, Any]
    # Each ``[[table]]`` entry (a table with a string ``name``) and the line of its name.
    entries: list[tuple[dict[str, Any], int | None]]


def read_toml_lock(path: Path, rel: Rel, table: str = "package") -> TomlLock:
    """Read a TOML lock file's ``[[table]]`` entries, each with its line; malformed -> error."""
    parsed = Parsed()
    relpath = rel(path)
    parsed.files.append(relpath)
    text = read_text(path)
    data = load_toml(text)
    packages = data.get(table, [])
    if not isinstance(packages, list):
        raise SourceError(f"[[{table}]] is not an array of tables")
    lines = toml_package_lines(text, table)
    entries: list[tuple[dict[str, Any], int | None]] = []
    for index, entry in enumerate(packages):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SourceError(f"a [[{table}]] entry has no name", line)
        entries.append((entry, line))
    return TomlLock(parsed=parsed, relpath=relpath, data=data, entries=entries)


# `name==version`, by far the most common line of a lock-like requirement file: read without
# the full PEP 508 parser, which costs a quarter of a millisecond per line.
_SIMPLE_PIN = re.compile(
    r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*==\s*(\d[A-Za-z0-9.+!_-]*)$"
)


def requirement_dependency(
    text: str,
    *,
    path: str,
    line: int | None,
    source: str,
    application: bool,
    dev: bool = False,
) -> Dependency:
    """A PEP 508 string as a dependency; raises `SourceError` when it does not parse."""
    simple = _SIMPLE_PIN.match(text)
    if simple and "*" not in simple.group(2):
        return Dependency(
            name=simple.group(1),
            ecosystem=Ecosystem.PYPI,
            path=path,
            line=line,
            kind=PinKind.PINNED,
            version=simple.group(2),
            specifier=f"=={simple.group(2)}",
            source=source,
            application=application,
            dev=dev,
        )
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise SourceError(f"invalid requirement {text!r}: {exc}", line) from exc
    marker = str(req.marker) if req.marker else None
    extras = tuple(sorted(req.extras))
    if req.url:
        return Dependency(
            name=canonicalize_name(req.name),
            ecosystem=Ecosystem.PYPI,
            path=path,
            line=line,
            kind=PinKind.UNSCANNABLE,
            detail=req.url,
            extras=extras,
            marker=marker,
            source=source,
            application=application,
            dev=dev,
        )
    version = exact_version(str(req.specifier))
    return Dependency(
        name=req.name,
        ecosystem=Ecosystem.PYPI,
        path=path,
        line=line,
        kind=PinKind.PINNED if version else PinKind.RANGE,
        version=version,
        specifier=str(req.specifier),
        extras=extras,
        marker=marker,
        source=source,
        application=application,
        dev=dev,
    )


def exact_version(specifier: str) -> str | None:
    """The version of ``==X`` / ``===X`` (no wildcard), else None."""
    spec = specifier.strip()
    if "," in spec:
        return None
    for op in ("===", "=="):
        if spec.startswith(op):
            version = spec[len(op) :].strip()
            if version and "*" not in version:
                return version
    return None


def pinned(
    name: str,
    version: object,
    *,
    path: str,
    line: int | None,
    source: str,
    ecosystem: Ecosystem = Ecosystem.PYPI,
    dev: bool = False,
    marker: str | None = None,
    licenses: tuple[str, ...] = (),
) -> Dependency:
    """A lock-file entry with a registry version (or without one: unscannable)."""
    pin = version if isinstance(version, str) and version else None
    return Dependency(
        name=name,
        ecosystem=ecosystem,
        path=path,
        line=line,
        kind=PinKind.PINNED if pin else PinKind.UNSCANNABLE,
        version=pin,
        detail="" if pin else "no version in the lock entry",
        source=source,
        dev=dev,
        marker=marker,
        licenses=licenses,
    )


def unscannable(
    name: str,
    detail: str,
    *,
    path: str,
    line: int | None,
    source: str,
    version: str | None = None,
    ecosystem: Ecosystem = Ecosystem.PYPI,
    dev: bool = False,
) -> Dependency:
    return Dependency(
        name=name,
        ecosystem=ecosystem,
        path=path,
        line=line,
        kind=PinKind.UNSCANNABLE,
        version=version,
        detail=detail,
        source=source,
        dev=dev,
    )
