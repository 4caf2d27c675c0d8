"""JSON pointers (RFC 6901), positions, and what loading can go wrong with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Position:
    """A 1-based line and column in a document's text."""

    line: int
    column: int


@dataclass(frozen=True, kw_only=True, slots=True)
class LoadProblem:
    """Why a document (or part of it) could not be loaded."""

    rule: str
    message: str
    line: int | None = None
    column: int | None = None
    pointer: str = ""
    # False when the problem leaves no document to check (a syntax error, a bomb).
    recoverable: bool = False


def escape(segment: str) -> str:
    """One JSON pointer segment, escaped (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def split_pointer(pointer: str) -> list[str]:
    """``/paths/~1pets/get`` -> ["paths", "/pets", "get"]; "" is the whole document."""
    if not pointer:
        return []
    # Only the first "/" is the root: "//x" is the key "" then "x" (RFC 6901).
    body = pointer[1:] if pointer.startswith("/") else pointer
    return [unescape(s) for s in body.split("/")]


def join(pointer: str, *segments: str | int) -> str:
    return pointer + "".join("/" + escape(str(s)) for s in segments)


def get(data: Any, pointer: str) -> Any:
    """The value at ``pointer`` (KeyError / IndexError / TypeError when absent)."""
    node = data
    for segment in split_pointer(pointer):
        if isinstance(node, list):
            node = node[int(segment)]
        elif isinstance(node, dict):
            node = node[segment]
        else:
            raise TypeError(segment)
    return node
