"""The judgement of each schema keyword's change, by direction (a mixin of SchemaDiff).

One principle, from oasdiff's checker: a request schema may only accept more (clients
keep sending what they sent); a response schema may only return less (clients keep
understanding what they get). So a keyword that restricts values breaks clients when it
is added to or tightened in a request, and when it is removed from or relaxed in a
response. oasdiff's exceptions are kept: a limit newly *set* on a request is a warning
(it often states a limit the server already had), a changed request pattern a warning
unless it became ``.*``, and response patterns are information.
"""

from __future__ import annotations

from typing import Any

from qualgate.gates.openapi_lint.compare_base import API_CHANGE, Ctx, DiffBase, Loc, at
from qualgate.gates.openapi_lint.model import Node

_MISSING = object()
# (keyword, upper bound?, value when absent or None). Upper bounds tighten downwards.
_COUNT_BOUNDS = (
    ("maxLength", True, None),
    ("minLength", False, None),
    ("maxItems", True, None),
    ("minItems", False, None),
    ("maxProperties", True, None),
    ("minProperties", False, None),
    # Defaults that make "set" a plain increase/decrease, as oasdiff reports them.
    ("maxContains", True, float("inf")),
    ("minContains", False, 1),
)
# Patterns that match every string: changing a pattern to one of them widens it.
_ANY_PATTERN = frozenset(("", ".*", "^.*$", "^.*", ".*$", "[\\s\\S]*", "^[\\s\\S]*$"))
# Format changes that widen the values of a type (oasdiff's isFormatContained).
_WIDER_FORMAT = {
    "number": {("float", "double")},
    "integer": {("int32", "int64"), ("int32", "bigint"), ("int64", "bigint")},
    "string": {("date", "date-time"), ("time", "date-time")},
}


def types_of(schema: dict[str, Any]) -> tuple[frozenset[str] | None, bool]:
    """(the non-null types, None for any type; whether null is allowed)."""
    raw = schema.get("type")
    names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
    nullable = schema.get("nullable") is True or schema.get("x-nullable") is True
    if names is None:
        return None, True
    types = frozenset(t for t in names if isinstance(t, str) and t != "null")
    return types, nullable or "null" in names


def _covered(kind: str, types: frozenset[str]) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


def _contained(src: frozenset[str] | None, dst: frozenset[str] | None, strong: bool) -> bool:
    """Whether every value of the ``src`` types is a value of the ``dst`` types."""
    if dst is None:
        return True
    if src is None:
        return False
    if src and all(_covered(t, dst) for t in src):
        return True
    # Loosely typed media (query strings, text, forms): anything can be read as a string.
    return not strong and dst == frozenset({"string"})


def show_types(types: frozenset[str] | None) -> str:
    return "any" if types is None else "/".join(sorted(types)) or "null"


def values_text(values: list[Any]) -> str:
    shown = ", ".join(repr(v) for v in values[:10])
    return shown + (f" (and {len(values) - 10} more)" if len(values) > 10 else "")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric_bound(schema: dict[str, Any], upper: bool) -> tuple[float, bool, str] | None:
    """The tightest numeric bound: (value, exclusive, keyword), 3.0 and 3.1 styles."""
    plain, exclusive = ("maximum", "exclusiveMaximum") if upper else ("minimum", "exclusiveMinimum")
    found: list[tuple[float, bool, str]] = []
    value, flag = schema.get(plain), schema.get(exclusive)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        found.append((value, flag is True, exclusive if flag is True else plain))
    if isinstance(flag, (int, float)) and not isinstance(flag, bool):
        found.append((flag, True, exclusive))
    if not found:
        return None
    if upper:
        return min(found, key=lambda b: (b[0], not b[1]))
    return max(found, key=lambda b: (b[0], b[1]))


def _show_bound(bound: tuple[float, bool, str]) -> str:
    return f"{bound[0]!r}" + (" (exclusive)" if bound[1] else "")


class KeywordDiff(DiffBase):
    """The keywords of one pair of schema nodes; subschemas go back to `schema`."""

    def pair(self, old: Node, new: Node, key: str) -> tuple[Loc, Loc]:
        """The keyword's location on each side, or the schema's where it is absent."""
        o = at(old, key) if isinstance(old.value, dict) and key in old.value else at(old)
        n = at(new, key) if isinstance(new.value, dict) and key in new.value else at(new)
        return o, n

    def keywords(self, old: Node, new: Node, ctx: Ctx, depth: int, *, null: bool = True) -> None:
        self.type_change(old, new, ctx, null=null)
        self.format_change(old, new, ctx)
        self.enum_change(old, new, ctx)
        self.const_change(old, new, ctx)
        self.bounds(old, new, ctx)
        self.pattern_change(old, new, ctx)
        self.structural(old, new, ctx, depth)

    def structural(self, old: Node, new: Node, ctx: Ctx, depth: int) -> None:
        """Keywords holding subschemas (`breaking_structural.StructuralDiff`)."""
        raise NotImplementedError

    # -- types ----------------------------------------------------------------------

    def type_change(self, old: Node, new: Node, ctx: Ctx, *, null: bool = True) -> None:
        o_types, o_null = types_of(old.value)
        n_types, n_null = types_of(new.value)
        w = self.words
        if o_types != n_types:
            src, dst = (o_types, n_types) if ctx.request else (n_types, o_types)
            breaking = not _contained(src, dst, ctx.strong)
            self.judge(
                breaking,
                "breaking-type-changed",
                ctx,
                w.changed("type", show_types(o_types), show_types(n_types)),
                *self.pair(old, new, "type"),
            )
        if null and o_null != n_null:
            lost = o_null and not n_null
            self.null_change(old, new, ctx, lost=lost)

    def null_change(self, old: Node, new: Node, ctx: Ctx, *, lost: bool) -> None:
        """``lost``: null was allowed and is not any more."""
        breaking = lost if ctx.request else not lost
        key = "nullable" if "nullable" in (new.value or {}) else "type"
        self.judge(
            breaking,
            "breaking-type-changed",
            ctx,
            self.words.became("", "not nullable" if lost else "nullable").strip(),
            *self.pair(old, new, key),
        )

    def format_change(self, old: Node, new: Node, ctx: Ctx) -> None:
        a, b = old.value.get("format"), new.value.get("format")
        if a == b:
            return
        to, src = (b, a) if ctx.request else (a, b)
        types, _ = types_of((new if ctx.request else old).value)
        kind = next(iter(types)) if types is not None and len(types) == 1 else ""
        widened = to is None or (src, to) in _WIDER_FORMAT.get(kind, set())
        self.judge(
            not widened,
            "breaking-format-changed",
            ctx,
            self.words.changed("format", repr(a) if a else "none", repr(b) if b else "none"),
            *self.pair(old, new, "format"),
        )

    # -- values ---------------------------------------------------------------------

    def enum_change(self, old: Node, new: Node, ctx: Ctx) -> None:
        w = self.words
        rule = "breaking-request-enum-changed" if ctx.request else "breaking-response-enum-changed"
        a, b = old.value.get("enum"), new.value.get("enum")
        locs = self.pair(old, new, "enum")
        if isinstance(a, list) and isinstance(b, list):
            removed = [v for v in a if v not in b]
            added = [v for v in b if v not in a]
            if removed:
                self.judge(
                    ctx.request, rule, ctx, w.removed(f"enum values {values_text(removed)}"), *locs
                )
            if added:
                self.judge(
                    not ctx.request, rule, ctx, w.added(f"enum values {values_text(added)}"), *locs
                )
        elif isinstance(b, list) and a is None:
            self.judge(ctx.request, rule, ctx, w.added(f"enum {values_text(b)}"), *locs)
        elif isinstance(a, list) and b is None:
            self.judge(not ctx.request, rule, ctx, w.removed("enum"), *locs)
        a, b = old.value.get("x-extensible-enum"), new.value.get("x-extensible-enum")
        if isinstance(a, list) and isinstance(b, list):
            removed = [v for v in a if v not in b]
            added = [v for v in b if v not in a]
            locs = self.pair(old, new, "x-extensible-enum")
            if removed:
                self.judge(
                    ctx.request,
                    "breaking-request-enum-changed",
                    ctx,
                    w.removed(f"x-extensible-enum values {values_text(removed)}"),
                    *locs,
                )
            if added:
                self.judge(
                    False, API_CHANGE, ctx, w.added(f"x-extensible-enum values {added!r}"), *locs
                )

    def const_change(self, old: Node, new: Node, ctx: Ctx) -> None:
        a, b = old.value.get("const", _MISSING), new.value.get("const", _MISSING)
        if a == b or (a is _MISSING and b is _MISSING):
            return
        w = self.words
        if a is _MISSING:
            message, breaking = w.added(f"const {b!r}"), ctx.request
        elif b is _MISSING:
            message, breaking = w.removed(f"const {a!r}"), not ctx.request
        else:
            message, breaking = w.changed("const", repr(a), repr(b)), True
        self.judge(
            breaking, "breaking-keyword-changed", ctx, message, *self.pair(old, new, "const")
        )

    # -- limits ---------------------------------------------------------------------

    def bounds(self, old: Node, new: Node, ctx: Ctx) -> None:
        o, n = old.value, new.value
        for upper in (True, False):
            a, b = _numeric_bound(o, upper), _numeric_bound(n, upper)
            if a == b or (a is not None and b is not None and a[:2] == b[:2]):
                continue
            keyword = (b or a)[2]  # type: ignore[index]
            tighter = a is not None and b is not None and _tighter(a[:2], b[:2], upper)
            self._limit(old, new, ctx, keyword, a, b, tighter, _show_bound)
        for keyword, upper, default in _COUNT_BOUNDS:
            x, y = o.get(keyword), n.get(keyword)
            x = x if _number(x) else None
            y = y if _number(y) else None
            if x == y:
                continue
            if default is not None:
                x = default if x is None else x
                y = default if y is None else y
                if x == y:
                    continue
            tighter = x is not None and y is not None and (y < x if upper else y > x)
            self._limit(
                old,
                new,
                ctx,
                keyword,
                None if x is None else (x, False, keyword),
                None if y is None else (y, False, keyword),
                tighter,
                lambda bound: repr(bound[0]),
            )

    def _limit(
        self,
        old: Node,
        new: Node,
        ctx: Ctx,
        keyword: str,
        a: tuple[float, bool, str] | None,
        b: tuple[float, bool, str] | None,
        tighter: bool,
        show: Any,
    ) -> None:
        w = self.words
        locs = self.pair(old, new, keyword)
        if a is None and b is not None:
            message = w.added(f"{keyword} {show(b)}")
            # A limit set where there was none: a warning (oasdiff's *-set checks).
            self.judge(ctx.request, "breaking-constraint-added", ctx, message, *locs)
            return
        if b is None and a is not None:
            message = w.removed(f"{keyword} {show(a)}")
            self.judge(not ctx.request, "breaking-constraint-tightened", ctx, message, *locs)
            return
        assert a is not None and b is not None  # noqa: S101 - both set: a change
        qualifier = " (stricter)" if tighter else " (looser)"
        message = w.changed(keyword, show(a), show(b)) + qualifier
        breaking = tighter if ctx.request else not tighter
        self.judge(breaking, "breaking-constraint-tightened", ctx, message, *locs)

    def pattern_change(self, old: Node, new: Node, ctx: Ctx) -> None:
        a, b = old.value.get("pattern"), new.value.get("pattern")
        if a == b or not (isinstance(a, str) or isinstance(b, str)):
            return
        w = self.words
        locs = self.pair(old, new, "pattern")
        if not ctx.request:
            self.judge(False, API_CHANGE, ctx, w.changed("pattern", repr(a), repr(b)), *locs)
        elif not isinstance(a, str):
            if b in _ANY_PATTERN:
                self.judge(False, API_CHANGE, ctx, w.added(f"pattern {b!r}"), *locs)
            else:
                self.judge(
                    True, "breaking-constraint-tightened", ctx, w.added(f"pattern {b!r}"), *locs
                )
        elif not isinstance(b, str) or b in _ANY_PATTERN:
            message = w.removed(f"pattern {a!r}") if b is None else w.changed("pattern", a, b)
            self.judge(False, API_CHANGE, ctx, message + " (any string now)", *locs)
        else:
            message = w.changed("pattern", repr(a), repr(b))
            self.judge(True, "breaking-constraint-added", ctx, message, *locs)


def _tighter(a: tuple[float, bool], b: tuple[float, bool], upper: bool) -> bool:
    """Whether bound ``b`` admits fewer values than ``a``."""
    if a[0] != b[0]:
        return b[0] < a[0] if upper else b[0] > a[0]
    return b[1] and not a[1]
