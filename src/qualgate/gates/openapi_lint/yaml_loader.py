"""Safe YAML with positions: libyaml composes, a small converter builds the values.

Only the YAML 1.2 core schema is accepted (what OpenAPI 3.1 asks for and JavaScript
tools use): ``yes``/``on``/``09:00``/``2024-01-01`` stay strings; ``!!python/object`` and
custom tags are findings, never constructed. Aliases are followed with a count, so a
"billion laughs" bomb or a self-containing alias is refused in milliseconds.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from qualgate.gates.openapi_lint.pointer import LoadProblem, Position, escape, split_pointer

# The number of nodes a document may expand to once aliases are followed. Real
# documents expand to about the number of nodes they have (a few million at most).
MAX_EXPANDED_NODES = 20_000_000
_TOO_DEEP = "YAML nested too deeply"

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


def load_yaml(text: str) -> tuple[bool, Any, yaml.Node | None, list[LoadProblem]]:
    """(loaded, data, root node, problems) of YAML text; loaded is False when unusable."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        return (
            False,
            None,
            None,
            [
                LoadProblem(
                    rule="yaml-syntax",
                    message=f"invalid YAML: {what}",
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                )
            ],
        )
    except yaml.YAMLError as exc:
        return False, None, None, [LoadProblem(rule="yaml-syntax", message=f"invalid YAML: {exc}")]
    except RecursionError:
        return False, None, None, [LoadProblem(rule="yaml-syntax", message=_TOO_DEEP)]
    finally:
        loader.dispose()
    if node is None:
        return True, None, None, []
    converter = _Converter()
    try:
        data = converter.convert(node, "")
    except _Bomb as bomb:
        return False, None, None, [bomb.problem]
    except RecursionError:
        return False, None, None, [LoadProblem(rule="yaml-syntax", message=_TOO_DEEP)]
    return True, data, node, converter.problems


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


def locate_yaml(
    root: yaml.Node,
    pointer: str,
    index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] | None = None,
) -> Position | None:
    """Where the node at ``pointer`` starts (its key, for a mapping member).

    ``index`` caches each visited mapping's keys, so a batch of pointers into a mapping
    of a thousand schemas does not scan it once per pointer.
    """
    node = root
    mark_node: yaml.Node = root
    cache = {} if index is None else index
    for segment in split_pointer(pointer):
        if isinstance(node, yaml.MappingNode):
            keys = cache.get(id(node))
            if keys is None:
                # The last duplicate wins, as in the converted data.
                keys = cache[id(node)] = {
                    k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)
                }
            found = keys.get(segment)
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
