"""Where a value sits in its file: line numbers for JSON-Schema error paths.

Parsers that give data (``yaml.load``, ``json.loads``, ``tomllib``) give no positions, so
locating is a second, cheaper-than-it-sounds pass done only for files that have errors:
YAML through the node marks of ``yaml.compose``, JSON through a small scanner that records
the offset of every key and array item, TOML through a line scan of table headers and keys
(tomllib keeps no positions at all).
"""

from __future__ import annotations

import bisect
import contextlib
import json.decoder
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Position:
    """A 1-based line and column."""

    line: int
    column: int = 1


@dataclass(kw_only=True, slots=True)
class Positions:
    """Path -> position of the key (object members) or the value (array items, root)."""

    table: dict[Path_, Position] = field(default_factory=dict)
    root: Position = field(default_factory=lambda: Position(line=1))

    def find(self, path: Path_, key: str | None = None) -> Position:
        """The position of ``path`` (plus ``key``), else of its longest located prefix."""
        full = (*path, key) if key is not None else path
        for end in range(len(full), 0, -1):
            hit = self.table.get(_norm(full[:end]))
            if hit is not None:
                return hit
        return self.root


def _norm(path: Sequence[str | int]) -> Path_:
    # Keys are compared as strings: YAML/TOML/JSON mapping keys all end up as strings.
    return tuple(p if isinstance(p, int) else str(p) for p in path)


# ---------------------------------------------------------------------------
# YAML


def yaml_positions(node: Any, *, line_offset: int = 0) -> Positions:
    """Positions of a composed YAML node tree (``yaml.compose``)."""
    import yaml

    out = Positions(
        root=_mark(node.start_mark, line_offset)
        if node is not None
        else Position(line=1 + line_offset)
    )
    if node is None:
        return out
    # An explicit stack rather than recursion: deep documents must not hit the recursion limit.
    stack: list[tuple[Path_, Any]] = [((), node)]
    seen: set[int] = set()
    while stack:
        path, current = stack.pop()
        if id(current) in seen:  # aliases can make the tree a graph
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                child = (*path, str(key_node.value))
                out.table.setdefault(child, _mark(key_node.start_mark, line_offset))
                stack.append((child, value_node))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                child = (*path, index)
                out.table.setdefault(child, _mark(item.start_mark, line_offset))
                stack.append((child, item))
    return out


def bad_scalar(text: str, *, line_offset: int = 0) -> tuple[Position, str] | None:
    """The first scalar PyYAML cannot construct (``2024-02-30``), and why; None if none.

    ``yaml.load`` raises a bare ValueError without a position for such values; composing
    keeps the marks, and constructing scalar by scalar finds the culprit.
    """
    import yaml

    constructor = yaml.SafeLoader("")
    try:
        documents = list(
            yaml.compose_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        )
    except yaml.YAMLError:
        return None
    stack = [d for d in reversed(documents) if d is not None]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: each node once, so a bomb costs its text's size
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError) as exc:
                return _mark(node.start_mark, line_offset), f"{node.value!r}: {exc}"
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def _mark(mark: Any, line_offset: int) -> Position:
    return Position(line=mark.line + 1 + line_offset, column=mark.column + 1)


# ---------------------------------------------------------------------------
# JSON

# The stdlib's string scanner (untyped in typeshed): returns (value, index after the quote).
_scanstring: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009
_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null|NaN|-?Infinity")


class Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> Position:
        index = bisect.bisect_right(self.starts, offset) - 1
        return Position(line=index + 1, column=offset - self.starts[index] + 1)


def json_positions(text: str) -> Positions:
    """Positions of every key and array item of a JSON text that ``json.loads`` accepted."""
    lines = Lines(text)
    offsets: dict[Path_, int] = {}
    start = _WS.match(text, 0)
    index = start.end() if start else 0
    # The text parsed already; a failure here would only mean fewer located paths.
    with contextlib.suppress(ValueError, IndexError, RecursionError):
        _scan_value(text, index, (), offsets)
    return Positions(
        table={path: lines.position(offset) for path, offset in offsets.items()},
        root=lines.position(index),
    )


def _skip(text: str, index: int) -> int:
    match = _WS.match(text, index)
    return match.end() if match else index


def _scan_value(text: str, index: int, path: Path_, offsets: dict[Path_, int]) -> int:
    """Scan one value starting at ``index``; return the index after it."""
    char = text[index]
    if char == '"':
        return _scanstring(text, index + 1)[1]
    if char == "{":
        index = _skip(text, index + 1)
        if text[index] == "}":
            return index + 1
        while True:
            key_at = index
            key, index = _scanstring(text, index + 1)
            child = (*path, key)
            offsets.setdefault(child, key_at)
            index = _skip(text, index)
            index = _skip(text, index + 1)  # the colon
            index = _skip(text, _scan_value(text, index, child, offsets))
            if text[index] == "}":
                return index + 1
            index = _skip(text, index + 1)  # the comma
    if char == "[":
        index = _skip(text, index + 1)
        if text[index] == "]":
            return index + 1
        item = 0
        while True:
            child = (*path, item)
            offsets.setdefault(child, index)
            index = _skip(text, _scan_value(text, index, child, offsets))
            if text[index] == "]":
                return index + 1
            index = _skip(text, index + 1)
            item += 1
    match = _SCALAR.match(text, index)
    if not match:
        raise ValueError(f"unexpected character at {index}")
    return match.end()


# ---------------------------------------------------------------------------
# TOML

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY = rf"(?:{_BARE}|{_QUOTED})"
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_KEY_LINE = re.compile(rf"^\s*({_DOTTED})\s*=")
_TABLE = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]\s*(?:#.*)?$")
_KEY_PART = re.compile(_KEY)


def _split_key(dotted: str) -> list[str]:
    parts = []
    for match in _KEY_PART.finditer(dotted):
        part = match.group(0)
        if part[0] == '"':
            part = json.loads(part)
        elif part[0] == "'":
            part = part[1:-1]
        parts.append(part)
    return parts


def toml_positions(text: str) -> Positions:
    """Positions of TOML table headers and keys, by a line scan.

    Arrays of tables get their index in the path (``[[servers]]`` -> ``servers/0``), as
    JSON Schema sees them. Keys inside inline tables and multi-line arrays are not
    located: errors there point at the key that holds them.
    """
    out = Positions()
    prefix: list[str | int] = []
    counts: dict[Path_, int] = {}
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        array = _ARRAY_TABLE.match(line)
        table = None if array else _TABLE.match(line)
        if array or table:
            parts = _split_key((array or table).group(1))  # type: ignore[union-attr]
            resolved: list[str | int] = []
            for i, part in enumerate(parts):
                resolved.append(part)
                last = i == len(parts) - 1
                if last and array:
                    key = tuple(resolved)
                    counts[key] = counts.get(key, -1) + 1
                    out.table.setdefault(key, Position(line=number))
                    resolved.append(counts[key])
                elif not last and tuple(resolved) in counts:
                    resolved.append(counts[tuple(resolved)])
            prefix = resolved
            out.table.setdefault(tuple(prefix), Position(line=number))
            continue
        match = _KEY_LINE.match(line)
        if match:
            path = (*prefix, *_split_key(match.group(1)))
            out.table.setdefault(tuple(path), Position(line=number, column=match.start(1) + 1))
            rest = line[match.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
                    break
    return out


_TOML_AT = re.compile(r"at line (\d+), column (\d+)")


def toml_error_position(exc: Exception) -> Position:
    """Where tomllib says a parse error is (attributes on 3.14+, the message before)."""
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    if isinstance(line, int):
        return Position(line=line, column=column if isinstance(column, int) else 1)
    match = _TOML_AT.search(str(exc))
    if match:
        return Position(line=int(match.group(1)), column=int(match.group(2)))
    return Position(line=1)
