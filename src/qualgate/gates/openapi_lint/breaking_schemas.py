"""Structural comparison of two schema nodes for breaking changes (a mixin of Comparison).

Refs are followed on both sides; each (old node, new node, direction) pair is compared
once, so cyclic schemas end and a changed component is reported once. ``direction`` is
"request" (what clients send: tighter constraints, new required properties and removed
enum values break them) or "response" (what clients read: removed properties and new
enum values break them).
"""

from __future__ import annotations

from typing import Any

from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import Document, join
from qualgate.gates.openapi_lint.model import Node, Spec

_TIGHTER_IF_SMALLER = ("maxLength", "maximum", "maxItems", "maxProperties", "exclusiveMaximum")
_TIGHTER_IF_LARGER = ("minLength", "minimum", "minItems", "minProperties", "exclusiveMinimum")


def component_of(pointer: str) -> str | None:
    """The component (``/components/schemas/X``, ``/definitions/X``) holding a pointer."""
    parts = pointer.split("/")
    if len(parts) >= 4 and parts[1] == "components":
        return "/".join(parts[:4])
    if len(parts) >= 3 and parts[1] in ("definitions", "parameters", "responses"):
        return "/".join(parts[:3])
    return None


class SchemaDiff:
    """Issue collection and the schema walk; `Comparison` adds paths and operations."""

    def __init__(self, old: Spec, new: Spec) -> None:
        self.old = old
        self.new = new
        self.issues: list[Issue] = []
        self._seen: set[tuple[Any, ...]] = set()
        # Components that differ (or reach one that does); None: unknown, compare all.
        self._dirty: set[str] | None = None

    # -- helpers ------------------------------------------------------------------

    def _new(self, rule: str, message: str, node: Node | tuple[Document, str], **data: Any) -> None:
        doc, pointer = (node.doc, node.pointer) if isinstance(node, Node) else node
        self.issues.append(
            Issue(
                rule=rule, message=message, doc=doc, pointer=pointer, data={"side": "new", **data}
            )
        )

    def _old(self, rule: str, message: str, node: Node | tuple[Document, str], **data: Any) -> None:
        doc, pointer = (node.doc, node.pointer) if isinstance(node, Node) else node
        self.issues.append(
            Issue(
                rule=rule, message=message, doc=doc, pointer=pointer, data={"side": "base", **data}
            )
        )

    # -- schemas ------------------------------------------------------------------

    def _schema(self, old: Node, new: Node, direction: str, label: str, depth: int = 0) -> None:
        old = self.old.deref(old.doc, old.pointer, old.value)
        new = self.new.deref(new.doc, new.pointer, new.value)
        key = (id(old.doc), old.pointer, id(new.doc), new.pointer, direction)
        if key in self._seen or depth > 64:
            return
        if (
            self._dirty is not None
            and old.pointer == new.pointer
            and component_of(new.pointer) == new.pointer
            and new.pointer not in self._dirty
        ):
            return  # the same component, identical on both sides with all it reaches
        self._seen.add(key)
        o, n = old.value, new.value
        if not isinstance(o, dict) or not isinstance(n, dict):
            return
        self._type(old, new, label)
        self._enum(old, new, direction, label)
        if direction == "request":
            self._constraints(old, new, label)
        self._properties(old, new, direction, label, depth)
        if isinstance(o.get("items"), dict) and isinstance(n.get("items"), dict):
            self._schema(
                Node(doc=old.doc, pointer=join(old.pointer, "items"), value=o["items"]),
                Node(doc=new.doc, pointer=join(new.pointer, "items"), value=n["items"]),
                direction,
                f"{label}[]",
                depth + 1,
            )
        for keyword in ("oneOf", "anyOf"):
            a, b = o.get(keyword), n.get(keyword)
            if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
                for index, (x, y) in enumerate(zip(a, b, strict=True)):
                    self._schema(
                        Node(doc=old.doc, pointer=join(old.pointer, keyword, index), value=x),
                        Node(doc=new.doc, pointer=join(new.pointer, keyword, index), value=y),
                        direction,
                        label,
                        depth + 1,
                    )

    def _type(self, old: Node, new: Node, label: str) -> None:
        o, n = old.value, new.value
        old_type, new_type = _types(o), _types(n)
        if old_type and new_type and old_type != new_type:
            self._new(
                "breaking-type-changed",
                f"{label}: type changed from {_fmt(old_type)} to {_fmt(new_type)}",
                (new.doc, join(new.pointer, "type")),
            )
        if o.get("format") != n.get("format") and ("format" in o or "format" in n):
            if "format" in n:
                self._new(
                    "breaking-format-changed",
                    f"{label}: format changed from {o.get('format')!r} to {n.get('format')!r}",
                    (new.doc, join(new.pointer, "format")),
                )
            else:
                self._new(
                    "api-change",
                    f"{label}: format {o.get('format')!r} was dropped",
                    new,
                )

    def _enum(self, old: Node, new: Node, direction: str, label: str) -> None:
        a, b = old.value.get("enum"), new.value.get("enum")
        if not isinstance(a, list) or not isinstance(b, list):
            if isinstance(b, list) and a is None and direction == "request":
                self._new(
                    "breaking-request-enum-changed",
                    f"{label}: values are now restricted to an enum",
                    (new.doc, join(new.pointer, "enum")),
                )
            return
        removed = [v for v in a if v not in b]
        added = [v for v in b if v not in a]
        rule = f"breaking-{direction}-enum-changed"
        if removed:
            self._new(
                rule,
                f"{label}: enum values removed from the {direction}: {_values(removed)}",
                (new.doc, join(new.pointer, "enum")),
                removed=removed,
            )
        if added:
            self._new(
                rule,
                f"{label}: enum values added to the {direction}: {_values(added)}",
                (new.doc, join(new.pointer, "enum")),
                added=added,
            )

    def _constraints(self, old: Node, new: Node, label: str) -> None:
        o, n = old.value, new.value
        for keyword in (*_TIGHTER_IF_SMALLER, *_TIGHTER_IF_LARGER):
            a, b = o.get(keyword), n.get(keyword)
            if not _number(b) or (a is not None and not _number(a)):
                continue
            smaller = keyword in _TIGHTER_IF_SMALLER
            tighter = a is None or (b < a if smaller else b > a)
            loosened = a is not None and (b > a if smaller else b < a)
            if tighter:
                self._new(
                    "breaking-constraint-tightened",
                    f"{label}: {keyword} tightened from {a!r} to {b!r}",
                    (new.doc, join(new.pointer, keyword)),
                )
            elif loosened:
                self._new(
                    "api-change",
                    f"{label}: {keyword} loosened from {a!r} to {b!r}",
                    (new.doc, join(new.pointer, keyword)),
                )
        if n.get("pattern") is not None and n.get("pattern") != o.get("pattern"):
            self._new(
                "breaking-constraint-tightened",
                f"{label}: pattern changed from {o.get('pattern')!r} to {n.get('pattern')!r}",
                (new.doc, join(new.pointer, "pattern")),
            )
        if o.get("nullable") is True and n.get("nullable") is not True and "nullable" in n:
            self._new(
                "breaking-constraint-tightened",
                f"{label}: null is no longer accepted",
                (new.doc, join(new.pointer, "nullable")),
            )

    def _properties(self, old: Node, new: Node, direction: str, label: str, depth: int) -> None:
        old_props = self._collect(self.old, old, set())
        new_props = self._collect(self.new, new, set())
        old_required = self._required(self.old, old, set())
        new_required = self._required(self.new, new, set())
        for name, node in old_props.items():
            if name in new_props:
                self._schema(node, new_props[name], direction, f"{label}.{name}", depth + 1)
            elif direction == "response":
                self._old(
                    "breaking-response-property-removed",
                    f"{label}: response property {name!r} was removed",
                    node,
                )
            else:
                self._old("api-change", f"{label}: request property {name!r} was removed", node)
        for name, node in new_props.items():
            if name in old_props:
                if direction == "request" and name in new_required and name not in old_required:
                    self._new(
                        "breaking-request-property-required",
                        f"{label}: request property {name!r} became required",
                        node,
                    )
                continue
            if direction == "request" and name in new_required:
                self._new(
                    "breaking-request-property-required",
                    f"{label}: new required request property {name!r}",
                    node,
                )
            else:
                self._new("api-change", f"{label}: {direction} property {name!r} was added", node)

    def _collect(self, spec: Spec, node: Node, seen: set[tuple[int, str]]) -> dict[str, Node]:
        """Properties a schema defines directly and through allOf."""
        node = spec.deref(node.doc, node.pointer, node.value)
        mark = (id(node.doc), node.pointer)
        if mark in seen or not isinstance(node.value, dict):
            return {}
        seen.add(mark)
        out: dict[str, Node] = {}
        props = node.value.get("properties")
        if isinstance(props, dict):
            for name, value in props.items():
                out[name] = Node(
                    doc=node.doc, pointer=join(node.pointer, "properties", name), value=value
                )
        parts = node.value.get("allOf")
        if isinstance(parts, list):
            for index, part in enumerate(parts):
                sub = Node(doc=node.doc, pointer=join(node.pointer, "allOf", index), value=part)
                for name, value in self._collect(spec, sub, seen).items():
                    out.setdefault(name, value)
        return out

    def _required(self, spec: Spec, node: Node, seen: set[tuple[int, str]]) -> set[str]:
        node = spec.deref(node.doc, node.pointer, node.value)
        mark = (id(node.doc), node.pointer)
        if mark in seen or not isinstance(node.value, dict):
            return set()
        seen.add(mark)
        required = node.value.get("required")
        out = {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        parts = node.value.get("allOf")
        if isinstance(parts, list):
            for index, part in enumerate(parts):
                sub = Node(doc=node.doc, pointer=join(node.pointer, "allOf", index), value=part)
                out |= self._required(spec, sub, seen)
        return out


def _types(schema: dict[str, Any]) -> frozenset[str]:
    value = schema.get("type")
    if isinstance(value, str):
        types = {value}
    elif isinstance(value, list):
        types = {v for v in value if isinstance(v, str)}
    else:
        return frozenset()
    if schema.get("nullable") is True or schema.get("x-nullable") is True:
        types.add("null")
    return frozenset(types)


def _fmt(types: frozenset[str]) -> str:
    return "/".join(sorted(types))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _values(values: list[Any]) -> str:
    shown = ", ".join(repr(v) for v in values[:10])
    return shown + (f" (and {len(values) - 10} more)" if len(values) > 10 else "")
