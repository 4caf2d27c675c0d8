"""A compiled predicate for simple JSON Schemas, equal to jsonschema's ``is_valid``.

jsonschema's validator is most of the validation time on 10,000 small documents, and
nearly every document is valid. A schema using only the common keywords becomes a tree
of closures with jsonschema's semantics (bools are not numbers, ``1 == 1.0``, ``format``
is an annotation). It only ever says "valid": on "invalid", jsonschema produces the
errors. A schema with any other keyword (``$ref``, ``if``, ``unevaluated*``, draft-04...)
gets no predicate. Pinned to jsonschema by a differential test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",  # an annotation unless a format checker is given, as jsonschema does
        # Definitions matter only through $ref, which has no fast path.
        "$defs",
        "definitions",
    }
)
_DIALECTS = (
    "https://json-schema.org/draft/2020-12/schema",
    "https://json-schema.org/draft/2019-09/schema",
    "http://json-schema.org/draft-07/schema",
    "http://json-schema.org/draft-06/schema",
)


class _Unsupported(Exception):
    pass


def compile_check(schema: Any) -> Check | None:
    """A predicate equal to ``validator.is_valid`` for simple schemas, else ``None``."""
    if isinstance(schema, Mapping):
        dialect = str(schema.get("$schema", _DIALECTS[0])).rstrip("#")
        if dialect not in _DIALECTS:
            return None
    try:
        return _compile(schema)
    except (_Unsupported, re.error, TypeError, KeyError, RecursionError):
        return None  # a schema nested too deep for a predicate: jsonschema alone decides


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or float(v).is_integer()),
}


def equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: bools equal only bools, ``1 == 1.0``, containers deeply."""
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, (dict, list)) or isinstance(two, (dict, list)):
        return False
    return bool(one == two)


def _compile(schema: Any) -> Check:
    if schema is True:
        return lambda _v: True
    if schema is False:
        return lambda _v: False
    if not isinstance(schema, Mapping):
        raise _Unsupported
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        builder = _BUILDERS.get(keyword)
        if builder is None:
            raise _Unsupported(keyword)
        built = builder(value, schema)
        if built is not None:
            checks.append(built)
    if len(checks) == 1:
        return checks[0]
    if not checks:
        return lambda _v: True

    def every(v: Any) -> bool:
        # A plain loop: measurably cheaper than all() over a generator on 10,000 files.
        for check in checks:  # noqa: SIM110
            if not check(v):
                return False
        return True

    return every


def _type(value: Any, _schema: Mapping[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    tests = [_TYPES[n] for n in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(t(v) for t in tests)


def _enum(value: Any, _schema: Mapping[str, Any]) -> Check:
    options = list(value)
    if all(isinstance(o, str) for o in options):
        # Only a string can equal a string: a set lookup says the same as `equal`.
        strings = frozenset(options)
        return lambda v: isinstance(v, str) and v in strings
    return lambda v: any(equal(v, o) for o in options)


def _const(value: Any, _schema: Mapping[str, Any]) -> Check:
    return lambda v: equal(v, value)


def _required(value: Any, _schema: Mapping[str, Any]) -> Check:
    names = list(value)

    def test(v: Any) -> bool:
        if isinstance(v, dict):
            for name in names:
                if name not in v:
                    return False
        return True

    return test


def _properties(value: Any, _schema: Mapping[str, Any]) -> Check:
    compiled = [(name, _compile(sub)) for name, sub in value.items()]

    def test(v: Any) -> bool:
        if isinstance(v, dict):
            for name, check in compiled:
                if name in v and not check(v[name]):
                    return False
        return True

    return test


def _pattern_properties(value: Any, _schema: Mapping[str, Any]) -> Check:
    compiled = [(re.compile(p), _compile(sub)) for p, sub in value.items()]
    return lambda v: (
        not isinstance(v, dict)
        or all(c(item) for key, item in v.items() for regex, c in compiled if regex.search(key))
    )


def _additional(value: Any, schema: Mapping[str, Any]) -> Check:
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    check = _compile(value)

    def test(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        return all(
            check(item)
            for key, item in v.items()
            if key not in known and not any(p.search(key) for p in patterns)
        )

    return test


def _items(value: Any, schema: Mapping[str, Any]) -> Check:
    if not isinstance(value, (Mapping, bool)) or "prefixItems" in schema:
        raise _Unsupported("items")
    check = _compile(value)
    return lambda v: not isinstance(v, list) or all(check(i) for i in v)


def _bound(test: Callable[[Any, Any], bool], applies: Check) -> Callable[[Any, Any], Check]:
    def build(value: Any, _schema: Mapping[str, Any]) -> Check:
        if not _is_number(value):
            raise _Unsupported
        return lambda v: not applies(v) or test(v, value)

    return build


def _pattern(value: Any, _schema: Mapping[str, Any]) -> Check:
    regex = re.compile(value)
    return lambda v: not isinstance(v, str) or regex.search(v) is not None


def _combinator(kind: str) -> Callable[[Any, Any], Check]:
    def build(value: Any, _schema: Mapping[str, Any]) -> Check:
        subs = [_compile(s) for s in value]
        if kind == "allOf":
            return lambda v: all(s(v) for s in subs)
        if kind == "anyOf":
            return lambda v: any(s(v) for s in subs)
        return lambda v: sum(1 for s in subs if s(v)) == 1

    return build


def _not(value: Any, _schema: Mapping[str, Any]) -> Check:
    sub = _compile(value)
    return lambda v: not sub(v)


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_list(v: Any) -> bool:
    return isinstance(v, list)


def _is_dict(v: Any) -> bool:
    return isinstance(v, dict)


_BUILDERS: dict[str, Callable[[Any, Mapping[str, Any]], Check | None]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "required": _required,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional,
    "items": _items,
    "pattern": _pattern,
    "allOf": _combinator("allOf"),
    "anyOf": _combinator("anyOf"),
    "oneOf": _combinator("oneOf"),
    "not": _not,
    "minLength": _bound(lambda v, n: len(v) >= n, _is_str),
    "maxLength": _bound(lambda v, n: len(v) <= n, _is_str),
    "minItems": _bound(lambda v, n: len(v) >= n, _is_list),
    "maxItems": _bound(lambda v, n: len(v) <= n, _is_list),
    "minProperties": _bound(lambda v, n: len(v) >= n, _is_dict),
    "maxProperties": _bound(lambda v, n: len(v) <= n, _is_dict),
    "minimum": _bound(lambda v, n: v >= n, _is_number),
    "maximum": _bound(lambda v, n: v <= n, _is_number),
    "exclusiveMinimum": _bound(lambda v, n: v > n, _is_number),
    "exclusiveMaximum": _bound(lambda v, n: v < n, _is_number),
}
