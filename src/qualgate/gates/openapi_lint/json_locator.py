"""Positions of JSON pointers in JSON text, computed only when findings need them.

``json.loads`` (C speed) keeps no positions; `JsonLocator` finds the offsets of a batch
of pointers in one descent that follows only the wanted paths and skips every other
value with the C decoder's ``raw_decode``: at most about one ``json.loads`` per batch.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re

from qualgate.gates.openapi_lint.pointer import Position, split_pointer

_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Trie:
    __slots__ = ("children", "pointer")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.pointer: str | None = None


class JsonLocator:
    """Offsets of JSON pointers in JSON text.

    Descends only along the wanted pointers; every other value is skipped with the C
    decoder's ``raw_decode``, so one batch costs at most about one ``json.loads``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[int] | None = None
        self._cache: dict[str, Position | None] = {}

    def _position(self, offset: int) -> Position:
        if self._lines is None:
            self._lines = [m.start() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_left(self._lines, offset)
        start = self._lines[line - 1] + 1 if line else 0
        return Position(line=line + 1, column=offset - start + 1)

    def locate(self, pointers: set[str]) -> dict[str, Position]:
        todo = {p for p in pointers if p not in self._cache}
        if todo:
            root = _Trie()
            for p in todo:
                node = root
                for segment in split_pointer(p):
                    node = node.children.setdefault(segment, _Trie())
                node.pointer = p
            found: dict[str, int] = {}
            # The text was valid JSON when loaded; stop quietly if it is not.
            with contextlib.suppress(ValueError, IndexError):
                self._value(self._ws(0), root, found)
            for p in todo:
                offset = found.get(p)
                self._cache[p] = self._position(offset) if offset is not None else None
        return {p: pos for p in pointers if (pos := self._cache.get(p)) is not None}

    def _ws(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def _skip(self, pos: int) -> int:
        return _DECODER.raw_decode(self.text, pos)[1]

    def _value(self, pos: int, trie: _Trie, found: dict[str, int]) -> int:
        """Record wanted pointers inside the value at ``pos``; return the end offset."""
        if trie.pointer is not None:
            found[trie.pointer] = pos
        if not trie.children:
            return self._skip(pos)
        text = self.text
        first = text[pos]
        if first == "{":
            pos = self._ws(pos + 1)
            if text[pos] == "}":
                return pos + 1
            while True:
                match = _JSON_STRING.match(text, pos)
                if match is None:
                    raise ValueError(pos)
                raw = match.group(1)
                key = json.loads(f'"{raw}"') if "\\" in raw else raw
                key_pos = pos
                pos = self._ws(match.end())
                pos = self._ws(pos + 1)  # the colon
                child = trie.children.get(key)
                if child is None:
                    pos = self._skip(pos)
                else:
                    if child.pointer is not None:
                        found[child.pointer] = key_pos
                        child_pointer, child.pointer = child.pointer, None
                        pos = self._value(pos, child, found)
                        child.pointer = child_pointer
                    else:
                        pos = self._value(pos, child, found)
                pos = self._ws(pos)
                if text[pos] == "}":
                    return pos + 1
                pos = self._ws(pos + 1)  # the comma
        if first == "[":
            pos = self._ws(pos + 1)
            if text[pos] == "]":
                return pos + 1
            index = 0
            while True:
                child = trie.children.get(str(index))
                pos = self._skip(pos) if child is None else self._value(pos, child, found)
                pos = self._ws(pos)
                if text[pos] == "]":
                    return pos + 1
                pos = self._ws(pos + 1)
                index += 1
        return self._skip(pos)
