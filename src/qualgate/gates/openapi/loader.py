"""Loading OpenAPI documents safely, with positions for every JSON pointer.

YAML is composed by libyaml (``yaml.CSafeLoader``) into nodes that carry marks, then
converted to plain Python values by a small converter that accepts only the YAML core
tags (so ``!!python/object`` and custom tags are findings, never code). Before
conversion the alias graph is measured: a document whose aliases expand past
`MAX_EXPANDED_NODES` (a "billion laughs" bomb) or that refers to itself is refused
with a finding, in well under a second.

JSON goes through ``json.loads`` (C speed) and keeps no positions: `JsonLocator`
finds the offsets of the pointers that findings need, in one pass over the text, only
when some finding needs a location. Measured on the corpus: libyaml compose 0.6 s for
3 MB of YAML; ``json.loads`` 0.05 s for 4 MB of JSON; one locate pass 0.3 s.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# A document larger than this is refused (bytes); the biggest real API descriptions
# we know (Stripe, Kubernetes) are around 4-8 MB.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# The number of nodes a document may expand to once aliases are followed. Real
# documents expand to about the number of nodes they have (a few million at most).
MAX_EXPANDED_NODES = 20_000_000

_YAML_TAG = "tag:yaml.org,2002:"
# YAML 1.2 core schema (what OpenAPI 3.1 asks for, and what JavaScript tools use):
# `yes`, `on`, `09:00` and `2024-01-01` are strings, not booleans, numbers or dates.
_CORE_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_CORE_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_CORE_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_CORE_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


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


@dataclass(kw_only=True, slots=True)
class Document:
    """A loaded document: its data and a way back from JSON pointers to positions."""

    path: Path
    rel: str
    data: Any
    text: str
    is_json: bool
    node: yaml.Node | None = None
    _json_locator: JsonLocator | None = field(default=None, repr=False)

    def locate(self, pointer: str) -> Position | None:
        """Where the node at ``pointer`` starts (the key's position for a mapping member)."""
        return self.locate_many((pointer,)).get(pointer)

    def locate_many(self, pointers: Iterable[str]) -> dict[str, Position]:
        """Positions of many pointers at once (one text pass for JSON)."""
        wanted = set(pointers)
        if self.is_json:
            if self._json_locator is None:
                self._json_locator = JsonLocator(self.text)
            return self._json_locator.locate(wanted)
        out: dict[str, Position] = {}
        if self.node is None:
            return out
        for pointer in wanted:
            position = _locate_yaml(self.node, pointer)
            if position is not None:
                out[pointer] = position
        return out


# ---------------------------------------------------------------------------
# JSON pointers


def escape(segment: str) -> str:
    """One JSON pointer segment, escaped (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def split_pointer(pointer: str) -> list[str]:
    """``/paths/~1pets/get`` -> ["paths", "/pets", "get"]; "" is the whole document."""
    if not pointer:
        return []
    return [unescape(s) for s in pointer.lstrip("/").split("/")] if pointer != "/" else [""]


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


# ---------------------------------------------------------------------------
# Loading


def load_text(text: str, path: Path, rel: str) -> tuple[Document | None, list[LoadProblem]]:
    """Parse ``text`` (JSON when the name ends in .json, else YAML; JSON is also YAML)."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, [
                LoadProblem(
                    rule="json-syntax",
                    message=f"invalid JSON: {exc.msg}",
                    line=exc.lineno,
                    column=exc.colno,
                )
            ]
        except RecursionError:
            return None, [LoadProblem(rule="json-syntax", message="JSON nested too deeply")]
        return Document(path=path, rel=rel, data=data, text=text, is_json=True), []
    return _load_yaml(text, path, rel)


def load_file(
    path: Path, rel: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Document | None, list[LoadProblem]]:
    """Read and parse one file, refusing oversized or undecodable ones with a problem."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, [
                LoadProblem(
                    rule="document-too-large",
                    message=f"{size} bytes is over the limit of {max_bytes} bytes (max-size-mb)",
                    line=1,
                    column=1,
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [LoadProblem(rule="document-unreadable", message=f"cannot read: {exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [
            LoadProblem(rule="document-encoding", message=f"not UTF-8: {exc.reason}", line=line)
        ]
    return load_text(text, path, rel)


class _Loader(yaml.CSafeLoader):
    """libyaml composition with a trivial resolver.

    PyYAML's resolver runs in Python for every node (0.7 s of 3 s on a 3 MB file);
    here untagged plain scalars get a marker tag and `_Converter` resolves them by the
    YAML 1.2 core schema. Explicit tags (``!!int``, ``!custom``) never reach
    ``resolve``, so they keep their own tag and unsafe ones are still refused.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _YAML_TAG + "str"
        return _YAML_TAG + ("seq" if kind is yaml.SequenceNode else "map")

    def descend_resolver(self, *_args: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


_PLAIN = "!qualgate/plain"
_STR = _YAML_TAG + "str"
_MAP = _YAML_TAG + "map"
_SEQ = _YAML_TAG + "seq"
_MERGE = _YAML_TAG + "merge"
# First characters a non-string plain scalar of the core schema can start with.
_NON_STR_START = frozenset("0123456789-+.~nNtTfF")


def _load_yaml(text: str, path: Path, rel: str) -> tuple[Document | None, list[LoadProblem]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        return None, [
            LoadProblem(
                rule="yaml-syntax",
                message=f"invalid YAML: {what}",
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        ]
    except yaml.YAMLError as exc:
        return None, [LoadProblem(rule="yaml-syntax", message=f"invalid YAML: {exc}")]
    except RecursionError:
        return None, [LoadProblem(rule="yaml-syntax", message="YAML nested too deeply")]
    finally:
        loader.dispose()
    if node is None:
        return Document(path=path, rel=rel, data=None, text=text, is_json=False), []
    converter = _Converter()
    try:
        data = converter.convert(node, "")
    except _Bomb as bomb:
        return None, [bomb.problem]
    except RecursionError:
        return None, [LoadProblem(rule="yaml-syntax", message="YAML nested too deeply")]
    return Document(path=path, rel=rel, data=data, text=text, is_json=False, node=node), (
        converter.problems
    )


class _Bomb(Exception):
    def __init__(self, problem: LoadProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _bomb(node: yaml.Node, message: str) -> _Bomb:
    mark = node.start_mark
    return _Bomb(
        LoadProblem(
            rule="yaml-alias-bomb", message=message, line=mark.line + 1, column=mark.column + 1
        )
    )


class _Converter:
    """Nodes to plain values, accepting only the YAML core schema's tags.

    Aliases are the same node object: each is converted once (memo) and shares its
    value, like PyYAML does. The converter also counts how many nodes the document
    expands to with aliases followed (memoised per node, so linear in the text) and
    stops at `MAX_EXPANDED_NODES`: a "billion laughs" bomb ends in milliseconds.
    """

    def __init__(self) -> None:
        self.problems: list[LoadProblem] = []
        self.memo: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()
        self._constructor = yaml.SafeLoader("")

    def _problem(self, rule: str, node: yaml.Node, message: str, pointer: str) -> None:
        mark = node.start_mark
        self.problems.append(
            LoadProblem(
                rule=rule,
                message=message,
                line=mark.line + 1,
                column=mark.column + 1,
                pointer=pointer,
                recoverable=True,
            )
        )

    def convert(self, node: yaml.Node, pointer: str) -> Any:
        key = id(node)
        if key in self.sizes:
            return self.memo[key]
        if key in self.active:
            raise _bomb(node, "an alias refers to a node that contains it (a recursive structure)")
        if node.__class__ is yaml.ScalarNode:
            tag = node.tag
            text: str = node.value
            if tag == _STR:
                value: Any = text
            elif tag == _PLAIN:
                value = _core_scalar(text) if text[:1] in _NON_STR_START or not text else text
            else:
                value = self._scalar(node, pointer)
            self.memo[key] = value
            self.sizes[key] = 1
            return value
        self.active.add(key)
        size = 1
        if node.__class__ is yaml.SequenceNode:
            if node.tag != _SEQ:
                self._unsupported(node, pointer)
            items: list[Any] = []
            self.memo[key] = items
            for index, item in enumerate(node.value):
                items.append(self.convert(item, f"{pointer}/{index}"))
                size += self.sizes[id(item)]
            value = items
        else:
            if node.tag != _MAP:
                self._unsupported(node, pointer)
            mapping: dict[str, Any] = {}
            self.memo[key] = mapping
            assert isinstance(node, yaml.MappingNode)  # noqa: S101 - for mypy
            size += self._mapping(node, mapping, pointer)
            value = mapping
        if size > MAX_EXPANDED_NODES:
            raise _bomb(
                node,
                f"aliases expand this document past {MAX_EXPANDED_NODES} nodes "
                "(a YAML bomb); refusing to load it",
            )
        self.active.discard(key)
        self.sizes[key] = size
        return value

    def _mapping(self, node: yaml.MappingNode, out: dict[str, Any], pointer: str) -> int:
        merged: list[yaml.Node] = []
        size = 0
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE or (key_node.tag == _PLAIN and key_node.value == "<<"):
                merged.append(value_node)
                continue
            if key_node.__class__ is not yaml.ScalarNode:
                self._problem(
                    "yaml-complex-key", key_node, "mapping keys must be plain scalars", pointer
                )
                continue
            # Keys are strings in OpenAPI: `200:` and `true:` keep their source text.
            name = key_node.value
            child = (
                f"{pointer}/{escape(name)}" if "/" in name or "~" in name else f"{pointer}/{name}"
            )
            if name in out:
                self._problem(
                    "yaml-duplicate-key",
                    key_node,
                    f"duplicate key {name!r}: YAML forbids it and tools disagree on which wins",
                    child,
                )
            out[name] = self.convert(value_node, child)
            size += 1 + self.sizes[id(value_node)]
        for source in merged:
            items = source.value if isinstance(source, yaml.SequenceNode) else [source]
            for item in items:
                value = self.convert(item, pointer)
                size += self.sizes[id(item)]
                if isinstance(value, dict):
                    for k, v in value.items():
                        out.setdefault(k, v)
        return size

    def _unsupported(self, node: yaml.Node, pointer: str) -> None:
        self._problem(
            "yaml-unsupported-tag",
            node,
            f"tag {node.tag!r} is not allowed (safe YAML: core schema tags only)",
            pointer,
        )

    def _scalar(self, node: yaml.ScalarNode, pointer: str) -> Any:
        """An explicitly tagged scalar (``!!int 3``): core tags only."""
        tag = node.tag
        text: str = node.value
        if not tag.startswith(_YAML_TAG):
            self._unsupported(node, pointer)
            return text
        kind = tag[len(_YAML_TAG) :]
        if kind == "null":
            return None
        if kind == "bool":
            return text.lower() in ("true", "yes", "on", "y")
        try:
            if kind == "int":
                return (
                    int(text)
                    if text.lstrip("-+").isdigit()
                    else (self._constructor.construct_yaml_int(node))
                )
            if kind == "float":
                return self._constructor.construct_yaml_float(node)
        except (ValueError, yaml.YAMLError):
            self._problem("yaml-unsupported-tag", node, f"{text!r} is not a valid {tag}", pointer)
            return text
        # Timestamps and binary stay text: OpenAPI values are JSON values.
        if kind in ("timestamp", "binary"):
            return text
        self._unsupported(node, pointer)
        return text


def _core_scalar(text: str) -> Any:
    """A plain scalar resolved by the YAML 1.2 core schema."""
    if _CORE_NULL.match(text):
        return None
    if _CORE_BOOL.match(text):
        return text.lower() == "true"
    if _CORE_INT.match(text):
        if text.startswith("0o"):
            return int(text[2:], 8)
        return int(text, 16) if text.startswith("0x") else int(text)
    if _CORE_FLOAT.match(text):
        lowered = text.lower()
        if lowered.endswith(".nan"):
            return float("nan")
        if lowered.endswith(".inf"):
            return float("-inf") if text.startswith("-") else float("inf")
        return float(text)
    return text


def _locate_yaml(root: yaml.Node, pointer: str) -> Position | None:
    node = root
    mark_node: yaml.Node = root
    for segment in split_pointer(pointer):
        if isinstance(node, yaml.MappingNode):
            found = None
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == segment:
                    found = (key_node, value_node)
            if found is None:
                return None
            mark_node, node = found
        elif isinstance(node, yaml.SequenceNode):
            try:
                node = node.value[int(segment)]
            except (ValueError, IndexError):
                return None
            mark_node = node
        else:
            return None
    mark = mark_node.start_mark
    return Position(line=mark.line + 1, column=mark.column + 1)


# ---------------------------------------------------------------------------
# JSON positions


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
