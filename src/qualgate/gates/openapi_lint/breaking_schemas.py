"""Structural comparison of two schema nodes (a mixin of Comparison).

Refs are followed on both sides; each (old node, new node, direction) pair is compared
once, so cyclic schemas end and a changed component is reported once. Keywords are
judged by `breaking_keywords`; here are the walk, properties (merged through allOf, so
a property moved into an allOf part is not a change), items, the nullable wrapping
(``anyOf: [X, {type: null}]`` is X made nullable, as Pydantic writes ``Optional[X]``),
a schema wrapped into ``oneOf``, and the oneOf/anyOf/allOf alternatives, matched the
way oasdiff matches them: same ``$ref``, same content, same title, or the one left.
"""

from __future__ import annotations

import json
from typing import Any

from qualgate.gates.openapi_lint.breaking_alternatives import ANNOTATIONS, AlternativesDiff
from qualgate.gates.openapi_lint.breaking_keywords import types_of
from qualgate.gates.openapi_lint.compare_base import API_CHANGE, Ctx, at, child
from qualgate.gates.openapi_lint.loader import join
from qualgate.gates.openapi_lint.model import Node, Spec


def component_of(pointer: str) -> str | None:
    """The component (``/components/schemas/X``, ``/definitions/X``) holding a pointer."""
    parts = pointer.split("/")
    if len(parts) >= 4 and parts[1] == "components":
        return "/".join(parts[:4])
    if len(parts) >= 3 and parts[1] in ("definitions", "parameters", "responses"):
        return "/".join(parts[:3])
    return None


def _null_branch(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "null"
        and not (set(value) - ANNOTATIONS - {"type"})
    )


def _unwrap(node: Node) -> tuple[Node, bool]:
    """``anyOf``/``oneOf`` of one schema and ``{type: null}``: (that schema, True)."""
    value = node.value
    for keyword in ("anyOf", "oneOf"):
        branches = value.get(keyword)
        if not isinstance(branches, list) or len(branches) < 2:
            continue
        if set(value) - ANNOTATIONS - {keyword}:
            continue
        kept = [i for i, b in enumerate(branches) if not _null_branch(b)]
        if len(kept) == 1 and len(branches) >= 2:
            return child(node, keyword, kept[0]), True
    return node, False


class SchemaDiff(AlternativesDiff):
    """The schema walk; `Comparison` adds paths and operations."""

    def schema(
        self, old: Node, new: Node, ctx: Ctx, depth: int = 0, *, properties: bool = True
    ) -> None:
        old = self.old.deref(old.doc, old.pointer, old.value)
        new = self.new.deref(new.doc, new.pointer, new.value)
        key = (id(old.doc), old.pointer, id(new.doc), new.pointer, ctx.direction, properties)
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
        if isinstance(o, bool) or isinstance(n, bool):
            self._boolean(old, new, ctx)
            return
        if not isinstance(o, dict) or not isinstance(n, dict):
            return
        inner_old, old_wrapped = _unwrap(old)
        inner_new, new_wrapped = _unwrap(new)
        if old_wrapped or new_wrapped:
            self._wrapped_null(
                old, new, (inner_old, old_wrapped), (inner_new, new_wrapped), ctx, depth, properties
            )
            return
        if self._wrapped_in_one_of(old, new, ctx):
            return
        self.keywords(old, new, ctx, depth)
        self._rest(old, new, ctx, depth, properties)

    def _rest(self, old: Node, new: Node, ctx: Ctx, depth: int, properties: bool) -> None:
        if properties:
            self._properties(old, new, ctx, depth)
        if isinstance(old.value.get("items"), dict) and isinstance(new.value.get("items"), dict):
            self.schema(child(old, "items"), child(new, "items"), ctx.at("[]"), depth + 1)
        for keyword in ("oneOf", "anyOf", "allOf"):
            self._alternatives(old, new, ctx, depth, keyword)

    def _boolean(self, old: Node, new: Node, ctx: Ctx) -> None:
        """3.1 boolean schemas: ``false`` accepts nothing, ``true`` (or ``{}``) anything."""

        def accepts_all(value: Any) -> bool:
            return value is True or value == {}

        o, n = old.value, new.value
        if o == n:
            return
        if o is False or n is False:
            breaking = (n is False) if ctx.request else (o is False)
        else:
            breaking = accepts_all(n) if not ctx.request else accepts_all(o)
        self.judge(
            breaking,
            "breaking-type-changed",
            ctx,
            self.words.changed("schema", json.dumps(o)[:40], json.dumps(n)[:40]),
            at(old),
            at(new),
        )

    def _wrapped_null(
        self,
        old: Node,
        new: Node,
        old_inner: tuple[Node, bool],
        new_inner: tuple[Node, bool],
        ctx: Ctx,
        depth: int,
        properties: bool,
    ) -> None:
        """One side (or both) is ``anyOf: [X, {type: null}]``: compare X, and nullability."""
        inner_old = self.old.deref(old_inner[0].doc, old_inner[0].pointer, old_inner[0].value)
        inner_new = self.new.deref(new_inner[0].doc, new_inner[0].pointer, new_inner[0].value)
        old_null = old_inner[1] or _nullable(inner_old.value)
        new_null = new_inner[1] or _nullable(inner_new.value)
        if old_null != new_null:
            self.null_change(old, new, ctx, lost=old_null)
        if isinstance(inner_old.value, dict) and isinstance(inner_new.value, dict):
            self.keywords(inner_old, inner_new, ctx, depth, null=False)
            self._rest(inner_old, inner_new, ctx, depth, properties)

    def _wrapped_in_one_of(self, old: Node, new: Node, ctx: Ctx) -> bool:
        """An object schema replaced by a oneOf of alternatives: one finding, not many."""
        o, n = old.value, new.value
        branches = n.get("oneOf")
        if "oneOf" in o or "anyOf" in o or not isinstance(branches, list) or len(branches) < 2:
            return False
        if "properties" not in o or "properties" in n:
            return False
        self.judge(
            True,
            "breaking-subschema-changed",
            ctx,
            self.words.became("", "wrapped into oneOf").strip()
            + ": a value valid before may match several alternatives, or none",
            at(old),
            at(new, "oneOf"),
        )
        return True

    # -- properties -----------------------------------------------------------------

    def _properties(self, old: Node, new: Node, ctx: Ctx, depth: int) -> None:
        old_props = self._collect(self.old, old, set())
        new_props = self._collect(self.new, new, set())
        if not old_props and not new_props:
            return
        old_required = self._required(self.old, old, set())
        new_required = self._required(self.new, new, set())
        w = self.words
        for name, node in old_props.items():
            what = f"{ctx.direction} property {name!r}"
            target = new_props.get(name)
            lenient = ctx.lenient or self._skipped_side(self.old, node, ctx)
            here = Ctx(ctx.direction, ctx.label, ctx.strong, lenient)
            if target is not None:
                self.schema(node, target, here.at(f".{name}"), depth + 1)
                continue
            parent = at(new, "properties") if "properties" in new.value else at(new)
            if ctx.request:
                rule = "breaking-request-property-removed"
            elif name in old_required:
                rule = "breaking-response-property-removed"
            else:
                rule = "breaking-response-optional-property-removed"
            self.judge(True, rule, here, w.removed(what), at(node), parent, side="base")
        for name, node in new_props.items():
            what = f"{ctx.direction} property {name!r}"
            lenient = ctx.lenient or self._skipped_side(self.new, node, ctx)
            here = Ctx(ctx.direction, ctx.label, ctx.strong, lenient)
            old_node = old_props.get(name)
            parent = at(old, "properties") if "properties" in old.value else at(old)
            if old_node is None:
                if ctx.request and name in new_required:
                    message = w.added(f"required {what}")
                    rule = "breaking-request-property-required"
                    self.judge(True, rule, here, message, parent, at(node))
                else:
                    self.judge(False, API_CHANGE, here, w.added(what), parent, at(node))
                continue
            was, now = name in old_required, name in new_required
            if was == now:
                continue
            if ctx.request:
                rule, breaking = "breaking-request-property-required", now
            else:
                rule, breaking = "breaking-response-property-removed", was
            message = w.became(what, "required" if now else "optional")
            self.judge(breaking, rule, here, message, at(old_node), at(node))

    def _skipped_side(self, spec: Spec, node: Node, ctx: Ctx) -> bool:
        """A readOnly property in a request, a writeOnly one in a response."""
        value = spec.deref(node.doc, node.pointer, node.value).value
        if not isinstance(value, dict):
            return False
        return value.get("readOnly" if ctx.request else "writeOnly") is True

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


def _nullable(value: Any) -> bool:
    return isinstance(value, dict) and types_of(value)[1] and "type" in value
