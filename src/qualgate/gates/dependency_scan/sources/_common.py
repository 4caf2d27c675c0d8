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

from qualgate.fsutil import ReadRefused, read_bytes_bounded
from qualgate.gates.dependency_scan.model import (
    Dependency,
    Ecosystem,
    PinKind,
    Problem,
    normalize_name,
)
from qualgate.gates.dependency_scan.sources._lines import (
    toml_package_lines,
)

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
    # Normalised names of every entry of the lock files read (the project, workspace
    # members and local packages included), and those lock files.
    locked: set[str] = field(default_factory=set)
    locks: list[str] = field(default_factory=list)
    # Every file an include named, read or not: the answer depends on whether it exists.
    consulted: list[str] = field(default_factory=list)

    def extend(self, other: Parsed) -> None:
        self.consulted.extend(other.consulted)
        self.dependencies.extend(other.dependencies)
        self.problems.extend(other.problems)
        self.files.extend(f for f in other.files if f not in self.files)
        self.locked |= other.locked
        self.locks.extend(f for f in other.locks if f not in self.locks)


class SourceError(Exception):
    """A file that cannot be read as its format: becomes a parse-error finding."""

    def __init__(self, message: str, line: int | None = None, rule: str = "parse-error") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.rule = rule


# The most of one dependency file that is read (the largest real package-lock.json files
# are tens of MiB); a device, FIFO or larger file is refused, never read without end.
MAX_FILE_BYTES = 64 * 1024 * 1024
# Nesting deeper than any real lock file: refused before the parsers recurse into it.
MAX_DEPTH = 200


def read_text(path: Path) -> str:
    """A dependency file's text: a regular file of bounded size, UTF-8 (BOM allowed)."""
    try:
        data = read_bytes_bounded(path, MAX_FILE_BYTES)
    except ReadRefused as exc:
        why = "not a regular file" if "regular" in str(exc) else "larger than 64 MiB"
        raise SourceError(f"not read: {why}", rule="file-unreadable") from exc
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", rule="file-unreadable") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(f"not UTF-8 text: {exc.reason}", line) from exc


_TOML_LINE = re.compile(r"at line (\d+)")
# A run of more digits than Python converts to an int (sys.get_int_max_str_digits).
_HUGE_INT = re.compile(r"(?<![0-9])[0-9]{4301,}")


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _too_deep_line(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The line where ``[``/``{`` nesting first passes ``limit`` (strings skipped roughly)."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        part = match.group(0)
        if part in "[{":
            depth += 1
            if depth > limit:
                return _line_at(text, match.start())
        elif part in "]}":
            depth -= 1
    return None


_BRACKETS = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')


def _structure_error(text: str, kind: str, exc: BaseException) -> SourceError:
    """Deep nesting and huge numbers as located parse errors (never an internal error)."""
    deep = _too_deep_line(text)
    if isinstance(exc, RecursionError) or deep is not None:
        return SourceError(f"invalid {kind}: nested more than {MAX_DEPTH} deep", deep)
    huge = _HUGE_INT.search(text)
    if huge is not None:
        return SourceError(
            f"invalid {kind}: a number of {len(huge.group(0))} digits", _line_at(text, huge.start())
        )
    return SourceError(f"invalid {kind}: {str(exc).splitlines()[0][:200]}")


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
    except (ValueError, RecursionError) as exc:
        raise _structure_error(text, "TOML", exc) from None


def load_json(text: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid JSON: {exc.msg}", exc.lineno) from exc
    except (ValueError, RecursionError) as exc:
        raise _structure_error(text, "JSON", exc) from None
    # A lone surrogate (``"\\ud800"``) is valid JSON but no text can be written with it.
    return _no_surrogates(data) if "\\u" in text else data


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` with lone surrogates replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value


def _no_surrogates(data: Any) -> Any:
    # Iterative: the depth was checked, but recursion is not needed for it either.
    if isinstance(data, str):
        return clean_text(data)
    root: list[Any] = [data]
    stack: list[Any] = [root]
    while stack:
        container = stack.pop()
        if isinstance(container, list):
            for index, item in enumerate(container):
                if isinstance(item, str):
                    container[index] = clean_text(item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
        else:
            for key in list(container):
                value = container[key]
                if isinstance(value, str):
                    value = clean_text(value)
                elif isinstance(value, (list, dict)):
                    stack.append(value)
                clean = clean_text(key) if isinstance(key, str) else key
                if clean != key:
                    del container[key]
                container[clean] = value
    return root[0]


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
        parsed.locked.add(normalize_name(entry["name"].split("[", 1)[0]))
    parsed.locks.append(relpath)
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
        # packaging's message quotes the line below its first line: only the reason is
        # shown (the finding gives file and line), so no file's content is echoed.
        reason = str(exc).splitlines()[0] if str(exc) else "not PEP 508"
        raise SourceError(f"invalid requirement: {reason}", line) from exc
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
