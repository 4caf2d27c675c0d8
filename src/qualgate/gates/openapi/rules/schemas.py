"""Rules about schema objects: enums, examples and defaults valid against their schema.

Values are validated with jsonschema-rs against the schema *in place*: every loaded
document is registered in one jsonschema-rs registry under its file URI, and a value
at pointer P is checked against ``{"$ref": "<uri>#P"}``, so refs (cyclic ones too)
resolve as they do in the document. OpenAPI 2.0/3.0 schemas are an extended subset of
JSON Schema draft 4; their ``nullable``/``x-nullable`` is translated into a ``null``
type in the copy given to the registry. The validator never fetches anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs

from qualgate.gates.openapi.issues import Issue
from qualgate.gates.openapi.loader import Document, escape, join
from qualgate.gates.openapi.model import Spec
from qualgate.gates.openapi.rules.registry import E, W, rule

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


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("nullable") is True or schema.get("x-nullable") is True


@rule("enum-unique", W, "A repeated enum value is a copy-paste slip; it means nothing.")
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


@rule(
    "enum-type",
    E,
    "An enum value that does not match the schema's type can never be valid.",
)
def enum_type(spec: Spec) -> Iterator[Issue]:
    for doc, pointer, schema in _all_schemas(spec):
        enum = schema.get("enum")
        types = schema.get("type")
        if not isinstance(enum, list) or types is None:
            continue
        for index, value in enumerate(enum):
            if value is None and _nullable(schema):
                continue
            if not _type_ok(value, types):
                yield Issue(
                    rule="enum-type",
                    message=f"enum value {value!r} is not of type {types}",
                    doc=doc,
                    pointer=f"{pointer}/enum/{index}",
                )


@rule(
    "schema-required-undefined",
    E,
    "A required property that no properties (or allOf part) defines is a typo "
    "(openapi-spec-validator rejects it).",
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


# ---------------------------------------------------------------------------
# Values against schemas


class _Values:
    """Validators for schemas in place, over a registry of every loaded document."""

    def __init__(self, spec: Spec, mode: str = "any") -> None:
        self.spec = spec
        self.v31 = spec.version not in ("2.0", "3.0")
        docs = spec.documents()
        self.uris = {id(d): _uri(d) for d in docs}
        resources = [(self.uris[id(doc)], doc.data) for doc in docs]
        draft = jsonschema_rs.Draft202012 if self.v31 else jsonschema_rs.Draft4
        # OpenAPI 3.0 `nullable: true` is JSON Schema's null type. The registry copies
        # the data into Rust when built, so spell it that way only for that moment
        # (copying the whole document instead costs 0.5 s on 4 MB).
        undo: list[tuple[dict[str, Any], str, Any]] = []
        if not self.v31:
            for _, _, schema in spec.schemas():
                if _nullable(schema) and "type" in schema:
                    undo.append((schema, "type", schema["type"]))
                    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
                    schema["type"] = [*types, "null"]
                    enum = schema.get("enum")
                    if isinstance(enum, list) and None not in enum:
                        undo.append((schema, "enum", enum))
                        schema["enum"] = [*enum, None]
        # A required readOnly property is not sent in requests, a required writeOnly one
        # is not returned in responses (OpenAPI 3.0 4.7.25.x): an example of a request
        # body must not be faulted for leaving out `id`.
        skip = {"request": ("readOnly",), "response": ("writeOnly",)}.get(
            mode, ("readOnly", "writeOnly")
        )
        for _, _, schema in spec.schemas():
            required, props = schema.get("required"), schema.get("properties")
            if not isinstance(required, list) or not isinstance(props, dict):
                continue
            kept = [
                name
                for name in required
                if not (
                    isinstance(name, str)
                    and isinstance(props.get(name), dict)
                    and any(props[name].get(flag) is True for flag in skip)
                )
            ]
            if len(kept) != len(required):
                undo.append((schema, "required", required))
                schema["required"] = kept
        try:
            self.registry = jsonschema_rs.Registry(resources, draft=draft)
        finally:
            for schema, key, value in reversed(undo):
                schema[key] = value
        self.cls = jsonschema_rs.Draft202012Validator if self.v31 else jsonschema_rs.Draft4Validator
        self.cache: dict[tuple[int, str], Any] = {}

    def errors(self, doc: Document, pointer: str, value: Any) -> list[str]:
        key = (id(doc), pointer)
        validator = self.cache.get(key)
        if validator is None:
            uri = self.uris.get(id(doc))
            if uri is None:
                return []
            try:
                validator = self.cls(
                    {"$ref": f"{uri}#{_uri_fragment(pointer)}"},
                    registry=self.registry,
                    validate_formats=True,
                    formats=_LENIENT_FORMATS,
                )
            except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError):
                validator = self._inline(doc, pointer)
            self.cache[key] = validator
        if validator is False:
            return []
        try:
            if validator.is_valid(value):
                return []
            found = [
                f"{'/'.join(str(p) for p in e.instance_path) or 'value'}: {e.message}"
                for e in validator.iter_errors(value)
            ]
        except (jsonschema_rs.ReferencingError, ValueError):
            return []
        return found

    def _inline(self, doc: Document, pointer: str) -> Any:
        """Swagger 2.0 parameters and headers: their schema keywords, minus the rest."""
        try:
            from qualgate.gates.openapi.loader import get

            holder = get(doc.data, pointer)
            schema = {k: v for k, v in holder.items() if k not in _NOT_SCHEMA}
            return jsonschema_rs.Draft4Validator(
                _json_schema_copy(schema),
                registry=self.registry,
                validate_formats=True,
                formats=_LENIENT_FORMATS,
            )
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            return False
        except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError):
            return False


def _any_text(_value: str) -> bool:
    return True


# URI formats are written loosely everywhere ("" or a relative path as a uri default);
# openapi-spec-validator only checks them when rfc3987 happens to be installed.
_LENIENT_FORMATS = {
    name: _any_text for name in ("uri", "uri-reference", "iri", "iri-reference", "uri-template")
}

_NOT_SCHEMA = frozenset(
    ("name", "in", "required", "description", "collectionFormat", "allowEmptyValue")
)


def _uri(doc: Document) -> str:
    if doc.rel.startswith(("http://", "https://")):
        return doc.rel
    return doc.path.resolve().as_uri()


def _uri_fragment(pointer: str) -> str:
    from urllib.parse import quote

    return quote(pointer, safe="/~!$&'()*+,;=:@")


def _json_schema_copy(data: Any) -> Any:
    """A copy with OpenAPI 3.0 ``nullable: true`` spelled as JSON Schema's null type."""
    if isinstance(data, dict):
        out = {k: _json_schema_copy(v) for k, v in data.items()}
        if (out.get("nullable") is True or out.get("x-nullable") is True) and "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(data, list):
        return [_json_schema_copy(v) for v in data]
    return data


def _validators(spec: Spec, mode: str) -> _Values:
    cached = spec.cache.get(f"values:{mode}")
    if cached is None:
        cached = spec.cache[f"values:{mode}"] = _Values(spec, mode)
    return cached


def _mode(pointer: str) -> str:
    """Whether a value at ``pointer`` is sent by clients, returned, or either."""
    if "/requestBody/" in pointer or "/requestBodies/" in pointer or "/parameters/" in pointer:
        return "request"
    if "/responses/" in pointer:
        return "response"
    return "any"


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
        from qualgate.gates.openapi.loader import get

        raw = get(schema_doc.data, schema_pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        return
    target = spec.deref(schema_doc, schema_pointer, raw)
    errors = _validators(spec, _mode(value_pointer)).errors(target.doc, target.pointer, value)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        yield Issue(
            rule=rule_id,
            message=f"{what} is not valid against its schema: {errors[0][:200]}{more}",
            doc=doc,
            pointer=value_pointer,
            data={"schema": schema_pointer},
        )


@rule(
    "default-valid",
    E,
    "A default that its own schema rejects is applied by servers and generated clients "
    "anyway (openapi-spec-validator rejects it).",
)
def default_valid(spec: Spec) -> Iterator[Issue]:
    for doc, pointer, schema in _all_schemas(spec):
        if "default" not in schema or isinstance(schema.get("$ref"), str):
            continue
        value = schema["default"]
        if value is None and _nullable(schema):
            continue
        yield from _report(
            spec, "default-valid", "default", doc, f"{pointer}/default", doc, pointer, value
        )


@rule(
    "example-valid",
    E,
    "Examples that their schema rejects mislead readers, mock servers and contract tests.",
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
