"""The judgement of keywords holding subschemas (a mixin of SchemaDiff).

``contains``, ``if``/``then``/``else``, ``propertyNames``, ``unevaluated*``,
``contentSchema`` and ``not`` restrict values: added to a request or removed from a
response they break clients (oasdiff's *-added / *-removed checks); present on both sides,
they are compared as schemas (under ``not`` with the direction turned). Keyed ones
(``dependentSchemas``, ``patternProperties``) are judged entry by entry; then
``dependentRequired``, ``additionalProperties`` (traversed like a property) and
``prefixItems``.
"""

from __future__ import annotations

from typing import Any

from qualgate.gates.openapi_lint.breaking_keywords import KeywordDiff
from qualgate.gates.openapi_lint.compare_base import Ctx, at, child
from qualgate.gates.openapi_lint.model import Node

# Keywords holding one subschema that restricts values: present in a request but not
# before, or gone from a response, breaks (oasdiff's *-added / *-removed checks).
_SUBSCHEMA_KEYWORDS = (
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
    "not",
)
# Keywords keyed by a name (a property name, a pattern) whose entries each restrict.
_KEYED_KEYWORDS = ("dependentSchemas", "patternProperties")


class StructuralDiff(KeywordDiff):
    """Keywords whose values are schemas, or name schemas."""

    def structural(self, old: Node, new: Node, ctx: Ctx, depth: int) -> None:
        o, n = old.value, new.value
        w = self.words
        for keyword in _SUBSCHEMA_KEYWORDS:
            a, b = _restricting(o, keyword), _restricting(n, keyword)
            if a is None and b is None:
                continue
            locs = self.pair(old, new, keyword)
            if a is None:
                self.judge(ctx.request, "breaking-keyword-changed", ctx, w.added(keyword), *locs)
            elif b is None:
                self.judge(
                    not ctx.request, "breaking-keyword-changed", ctx, w.removed(keyword), *locs
                )
            elif isinstance(a, dict) and isinstance(b, dict):
                # Inside `not`, accepting more means the whole accepts less.
                inner = ctx.at(f".{keyword}")
                if keyword == "not":
                    inner = Ctx("response" if ctx.request else "request", inner.label, ctx.strong)
                self.schema(child(old, keyword), child(new, keyword), inner, depth + 1)
            elif a != b:
                message = w.changed(keyword, repr(a), repr(b))
                self.judge(True, "breaking-keyword-changed", ctx, message, *locs)
        for keyword in _KEYED_KEYWORDS:
            self._keyed(old, new, ctx, keyword, depth)
        self._dependent_required(old, new, ctx)
        self._additional(old, new, ctx, depth)
        self._prefix_items(old, new, ctx, depth)
        for keyword in ("contentMediaType", "contentEncoding"):
            a, b = o.get(keyword), n.get(keyword)
            if a != b:
                message = w.changed(keyword, repr(a), repr(b))
                locs = self.pair(old, new, keyword)
                self.judge(True, "breaking-keyword-changed", ctx, message, *locs)

    def _keyed(self, old: Node, new: Node, ctx: Ctx, keyword: str, depth: int) -> None:
        a, b = old.value.get(keyword), new.value.get(keyword)
        a = a if isinstance(a, dict) else {}
        b = b if isinstance(b, dict) else {}
        for name in b.keys() - a.keys():
            locs = (at(old, keyword) if a else at(old), at(new, keyword, name))
            message = self.words.added(f"{keyword} {name!r}")
            self.judge(ctx.request, "breaking-keyword-changed", ctx, message, *locs)
        for name in a.keys() - b.keys():
            locs = (at(old, keyword, name), at(new, keyword) if b else at(new))
            message = self.words.removed(f"{keyword} {name!r}")
            self.judge(
                not ctx.request, "breaking-keyword-changed", ctx, message, *locs, side="base"
            )
        for name in a.keys() & b.keys():
            self.schema(
                child(old, keyword, name),
                child(new, keyword, name),
                ctx.at(f"[{keyword} {name}]"),
                depth + 1,
            )

    def _dependent_required(self, old: Node, new: Node, ctx: Ctx) -> None:
        a, b = old.value.get("dependentRequired"), new.value.get("dependentRequired")
        a = a if isinstance(a, dict) else {}
        b = b if isinstance(b, dict) else {}
        w = self.words
        for name in sorted(a.keys() | b.keys()):
            x, y = a.get(name), b.get(name)
            if x == y:
                continue
            locs = self.pair(child(old, "dependentRequired"), child(new, "dependentRequired"), name)
            what = f"dependentRequired {name!r}"
            if x is None:
                self.judge(ctx.request, "breaking-keyword-changed", ctx, w.added(what), *locs)
            elif y is None:
                self.judge(not ctx.request, "breaking-keyword-changed", ctx, w.removed(what), *locs)
            else:
                grew = (
                    bool(set(y) - set(x)) if isinstance(x, list) and isinstance(y, list) else True
                )
                message = w.changed(what, repr(x), repr(y))
                self.judge(grew or not ctx.request, "breaking-keyword-changed", ctx, message, *locs)

    def _additional(self, old: Node, new: Node, ctx: Ctx, depth: int) -> None:
        a = old.value.get("additionalProperties", True)
        b = new.value.get("additionalProperties", True)
        if a == b:
            return
        w = self.words
        locs = self.pair(old, new, "additionalProperties")
        if a is False or b is False:
            if a is False:
                message, breaking = w.removed("additionalProperties: false"), not ctx.request
            else:
                message, breaking = w.added("additionalProperties: false"), ctx.request
            self.judge(breaking, "breaking-keyword-changed", ctx, message, *locs)
            return
        # Absent or true is the empty schema: compare what extra properties may hold.
        empty: dict[str, Any] = {}
        old_sub = child(old, "additionalProperties") if isinstance(a, dict) else None
        new_sub = child(new, "additionalProperties") if isinstance(b, dict) else None
        self.schema(
            old_sub or Node(doc=old.doc, pointer=old.pointer, value=empty),
            new_sub or Node(doc=new.doc, pointer=new.pointer, value=empty),
            ctx.at(".*"),
            depth + 1,
        )

    def _prefix_items(self, old: Node, new: Node, ctx: Ctx, depth: int) -> None:
        a, b = old.value.get("prefixItems"), new.value.get("prefixItems")
        a = a if isinstance(a, list) else []
        b = b if isinstance(b, list) else []
        if a == b:
            return
        w = self.words
        locs = self.pair(old, new, "prefixItems")
        if len(b) < len(a):
            message = w.removed(f"prefixItems {len(b)}..{len(a) - 1}")
            self.judge(ctx.request, "breaking-keyword-changed", ctx, message, *locs, side="base")
        elif len(b) > len(a):
            message = w.added(f"prefixItems {len(a)}..{len(b) - 1}")
            self.judge(not ctx.request, "breaking-keyword-changed", ctx, message, *locs)
        for index in range(min(len(a), len(b))):
            self.schema(
                child(old, "prefixItems", index),
                child(new, "prefixItems", index),
                ctx.at(f"[{index}]"),
                depth + 1,
            )


def _restricting(schema: dict[str, Any], keyword: str) -> Any:
    """The keyword's value when it restricts anything (``true``/``{}`` do not)."""
    value = schema.get(keyword)
    if value is True or value == {}:
        return None
    return value
