"""oneOf / anyOf / allOf alternatives compared (a mixin of SchemaDiff).

Alternatives are matched the way oasdiff matches them: the same ``$ref``, the same
content, the same title, or the one left on each side. Matched ones are compared as
schemas; an oneOf/anyOf alternative removed from a request or added to a response
breaks clients; an allOf part added to a request does (removed: a warning), unless it
only annotates.
"""

from __future__ import annotations

import json
from typing import Any

from qualgate.gates.openapi_lint.breaking_structural import StructuralDiff
from qualgate.gates.openapi_lint.compare_base import Ctx, at, child
from qualgate.gates.openapi_lint.model import Node, Spec

# Keywords that describe but do not restrict: an allOf part of only these changes nothing.
ANNOTATIONS = frozenset(
    (
        "title",
        "description",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
        "xml",
        "$comment",
        "discriminator",
    )
)


def _annotation_only(value: Any) -> bool:
    return isinstance(value, dict) and not (set(value) - ANNOTATIONS)


def _canonical(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


class AlternativesDiff(StructuralDiff):
    """oneOf, anyOf and allOf."""

    def _alternatives(self, old: Node, new: Node, ctx: Ctx, depth: int, keyword: str) -> None:
        a, b = old.value.get(keyword), new.value.get(keyword)
        a = a if isinstance(a, list) else []
        b = b if isinstance(b, list) else []
        if not a and not b:
            return
        pairs, removed, added = self._match(old, new, keyword, len(a), len(b))
        w = self.words
        for i, j in pairs:
            self.schema(
                child(old, keyword, i),
                child(new, keyword, j),
                ctx,
                depth + 1,
                # allOf parts' properties are compared merged, with the whole schema's.
                properties=keyword != "allOf",
            )
        composite = keyword != "allOf"
        for i in removed:
            what = f"{keyword} alternative {_name(a[i], i)}"
            if composite:
                breaking, rule = ctx.request, "breaking-subschema-changed"
            else:
                breaking = ctx.request and not _annotation_only(
                    self._value(self.old, child(old, keyword, i))
                )
                rule, what = "breaking-subschema-removed", f"allOf part {_name(a[i], i)}"
            self.judge(
                breaking,
                rule,
                ctx,
                w.removed(what),
                at(old, keyword, i),
                at(new, keyword) if b else at(new),
                side="base",
            )
        for j in added:
            what = f"{keyword} alternative {_name(b[j], j)}"
            if composite:
                breaking = not ctx.request
            else:
                breaking = ctx.request and not _annotation_only(
                    self._value(self.new, child(new, keyword, j))
                )
                what = f"allOf part {_name(b[j], j)}"
            self.judge(
                breaking,
                "breaking-subschema-changed",
                ctx,
                w.added(what),
                at(old, keyword) if a else at(old),
                at(new, keyword, j),
            )

    @staticmethod
    def _value(spec: Spec, node: Node) -> Any:
        return spec.deref(node.doc, node.pointer, node.value).value

    def _match(
        self, old: Node, new: Node, keyword: str, count_a: int, count_b: int
    ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """(matched pairs, removed indexes, added indexes) of two lists of alternatives."""
        a = old.value.get(keyword) or []
        b = new.value.get(keyword) or []
        left, right = set(range(count_a)), set(range(count_b))
        pairs: list[tuple[int, int]] = []

        def pair_by(key_a: Any, key_b: Any) -> None:
            index: dict[str, int] = {}
            for j in sorted(right):
                k = key_b(j)
                if k is not None:
                    index.setdefault(k, j)
            for i in sorted(left):
                k = key_a(i)
                if k is None or k not in index:
                    continue
                match = index.pop(k)
                pairs.append((i, match))
                left.discard(i)
                right.discard(match)

        def ref(items: list[Any]) -> Any:
            return lambda i: (
                items[i]["$ref"].rsplit("/", 1)[-1]
                if isinstance(items[i], dict) and isinstance(items[i].get("$ref"), str)
                else None
            )

        pair_by(ref(a), ref(b))
        pair_by(lambda i: _canonical(a[i]), lambda j: _canonical(b[j]))
        old_values = {i: self._value(self.old, child(old, keyword, i)) for i in left}
        new_values = {j: self._value(self.new, child(new, keyword, j)) for j in right}
        pair_by(lambda i: _canonical(old_values[i]), lambda j: _canonical(new_values[j]))
        pair_by(lambda i: _title(old_values.get(i)), lambda j: _title(new_values.get(j)))
        if len(left) == 1 and len(right) == 1:
            i, j = left.pop(), right.pop()
            if not _is_ref(a[i]) and not _is_ref(b[j]):
                pairs.append((i, j))
            else:
                left.add(i)
                right.add(j)
        return pairs, sorted(left), sorted(right)


def _is_ref(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("$ref"), str)


def _title(value: Any) -> str | None:
    title = value.get("title") if isinstance(value, dict) else None
    return "title:" + title if isinstance(title, str) else None


def _name(value: Any, index: int) -> str:
    ref = value.get("$ref") if isinstance(value, dict) else None
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    title = value.get("title") if isinstance(value, dict) else None
    return repr(title) if isinstance(title, str) else f"#{index}"
