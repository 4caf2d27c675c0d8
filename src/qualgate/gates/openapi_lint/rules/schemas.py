"""Rules about schema objects: enums, required properties, examples and defaults.

Values are validated by `values` (jsonschema-rs, in place, refs followed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import Document, escape, join
from qualgate.gates.openapi_lint.model import Spec
from qualgate.gates.openapi_lint.rules.values import mode_of, nullable, validators

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _type_ok(value: Any, types: Any) -> bool:
    names = types if isinstance(types, list) else [types]
    for name in names:
        expected = _TYPES.get(name) if isinstance(name, str) else None
        if expected is None:
            return True
        if isinstance(value, bool) and name not in ("boolean",):
            continue
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True
        if isinstance(value, expected):
            return True
    return False


def _all_schemas(spec: Spec) -> list[tuple[Document, str, dict[str, Any]]]:
    return spec.schemas()


def enum_unique(spec: Spec) -> Iterator[Issue]:
    for doc, pointer, schema in _all_schemas(spec):
        enum = schema.get("enum")
        if not isinstance(enum, list):
            continue
        seen: set[str] = set()
        for index, value in enumerate(enum):
            key = json.dumps(value, sort_keys=True)
            if key in seen:
                yield Issue(
                    rule="enum-unique",
                    message=f"enum value {value!r} is repeated",
                    doc=doc,
                    pointer=f"{pointer}/enum/{index}",
                )
            seen.add(key)


def enum_type(spec: Spec) -> Iterator[Issue]:
    for doc, pointer, schema in _all_schemas(spec):
        enum = schema.get("enum")
        types = schema.get("type")
        if not isinstance(enum, list) or types is None:
            continue
        for index, value in enumerate(enum):
            if value is None and nullable(schema):
                continue
            if not _type_ok(value, types):
                yield Issue(
                    rule="enum-type",
                    message=f"enum value {value!r} is not of type {types}",
                    doc=doc,
                    pointer=f"{pointer}/enum/{index}",
                )


def required_undefined(spec: Spec) -> Iterator[Issue]:
    for doc, pointer, schema in _all_schemas(spec):
        required = schema.get("required")
        if not isinstance(required, list) or "allOf" not in schema:
            continue
        # Same condition as openapi-spec-validator: only with allOf, where a required
        # name may come from any part, can we be sure what the object defines.
        if schema.get("additionalProperties") not in (None, False):
            continue
        known = _properties(spec, doc, pointer, schema, set())
        if known is None:
            continue
        for index, name in enumerate(required):
            if name not in known:
                yield Issue(
                    rule="schema-required-undefined",
                    message=f"required property {name!r} is not defined in properties or allOf",
                    doc=doc,
                    pointer=f"{pointer}/required/{index}",
                )


def _properties(
    spec: Spec, doc: Document, pointer: str, schema: Any, seen: set[tuple[int, str]]
) -> set[str] | None:
    """Property names a schema defines through properties/allOf/anyOf/oneOf (None: unknown)."""
    node = spec.deref(doc, pointer, schema)
    key = (id(node.doc), node.pointer)
    if key in seen or not isinstance(node.value, dict):
        return set()
    seen.add(key)
    value = node.value
    if isinstance(value.get("$ref"), str):
        return None  # unresolvable: reported elsewhere
    names: set[str] = set(value.get("properties") or {})
    for keyword in ("allOf", "anyOf", "oneOf"):
        parts = value.get(keyword)
        if isinstance(parts, list):
            for index, part in enumerate(parts):
                sub = _properties(spec, node.doc, f"{node.pointer}/{keyword}/{index}", part, seen)
                if sub is None:
                    return None
                names |= sub
    if value.get("additionalProperties") not in (None, False) or "patternProperties" in value:
        return None
    return names


def _report(
    spec: Spec,
    rule_id: str,
    what: str,
    doc: Document,
    value_pointer: str,
    schema_doc: Document,
    schema_pointer: str,
    value: Any,
) -> Iterator[Issue]:
    # Many values share one schema through a ref: validate against the target so one
    # compiled validator serves them all.
    try:
        from qualgate.gates.openapi_lint.loader import get

        raw = get(schema_doc.data, schema_pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        return
    target = spec.deref(schema_doc, schema_pointer, raw)
    errors = validators(spec, mode_of(value_pointer)).errors(target.doc, target.pointer, value)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        yield Issue(
            rule=rule_id,
            message=f"{what} is not valid against its schema: {errors[0][:200]}{more}",
            doc=doc,
            pointer=value_pointer,
            data={"schema": schema_pointer},
        )


def default_valid(spec: Spec) -> Iterator[Issue]:
    for doc, pointer, schema in _all_schemas(spec):
        if "default" not in schema or isinstance(schema.get("$ref"), str):
            continue
        value = schema["default"]
        if value is None and nullable(schema):
            continue
        yield from _report(
            spec, "default-valid", "default", doc, f"{pointer}/default", doc, pointer, value
        )


def example_valid(spec: Spec) -> Iterator[Issue]:
    for doc, pointer, schema in _all_schemas(spec):
        if isinstance(schema.get("$ref"), str):
            continue
        if "example" in schema:
            yield from _report(
                spec,
                "example-valid",
                "example",
                doc,
                f"{pointer}/example",
                doc,
                pointer,
                schema["example"],
            )
        if spec.version not in ("2.0", "3.0") and isinstance(schema.get("examples"), list):
            for index, value in enumerate(schema["examples"]):
                yield from _report(
                    spec,
                    "example-valid",
                    "example",
                    doc,
                    f"{pointer}/examples/{index}",
                    doc,
                    pointer,
                    value,
                )
    yield from _media_examples(spec)


def _media_examples(spec: Spec) -> Iterator[Issue]:
    """Examples on media types, parameters and headers (3.x), response examples (2.0)."""
    for doc, pointer, holder in _example_holders(spec):
        schema = holder.get("schema")
        if not isinstance(schema, (dict, bool)):
            continue
        schema_pointer = join(pointer, "schema")
        if spec.v2:
            examples = holder.get("examples")
            if isinstance(examples, dict):
                for media, value in examples.items():
                    yield from _report(
                        spec,
                        "example-valid",
                        f"example for {media}",
                        doc,
                        join(pointer, "examples", media),
                        doc,
                        schema_pointer,
                        value,
                    )
            continue
        if "example" in holder:
            yield from _report(
                spec,
                "example-valid",
                "example",
                doc,
                join(pointer, "example"),
                doc,
                schema_pointer,
                holder["example"],
            )
        examples = holder.get("examples")
        if isinstance(examples, dict):
            for name, raw in examples.items():
                node = spec.deref(doc, join(pointer, "examples", name), raw)
                if isinstance(node.value, dict) and "value" in node.value:
                    yield from _report(
                        spec,
                        "example-valid",
                        f"example {name!r}",
                        node.doc,
                        join(node.pointer, "value"),
                        doc,
                        schema_pointer,
                        node.value["value"],
                    )


def _example_holders(spec: Spec) -> Iterator[tuple[Document, str, dict[str, Any]]]:
    """Objects that carry a `schema` beside `example(s)`: media types, params, headers."""
    for doc in spec.documents():
        stack: list[tuple[Any, str]] = [(doc.data, "")]
        while stack:
            node, here = stack.pop()
            if isinstance(node, dict):
                if "schema" in node and ("example" in node or "examples" in node):
                    yield doc, here, node
                for key, value in node.items():
                    if key in ("schema", "schemas", "definitions", "example", "examples"):
                        continue
                    if isinstance(value, (dict, list)) and not key.startswith("x-"):
                        stack.append((value, f"{here}/{escape(key)}"))
            elif isinstance(node, list):
                for index, item in enumerate(node):
                    if isinstance(item, (dict, list)):
                        stack.append((item, f"{here}/{index}"))
