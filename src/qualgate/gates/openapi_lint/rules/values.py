"""Validating values (examples, defaults) against schemas in place, with jsonschema-rs.

Every loaded document is registered in one jsonschema-rs registry under its file URI,
and a value is checked against ``{"$ref": "<uri>#<pointer>"}``, so refs (cyclic ones
too) resolve as they do in the document. OpenAPI 2.0/3.0 schemas are an extended subset
of JSON Schema draft 4: their ``nullable``/``x-nullable`` is spelled as a ``null`` type,
and required readOnly (writeOnly) properties are dropped for request (response) values,
only while the registry copies the data. The validator never fetches anything.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from qualgate.gates.openapi_lint.loader import Document
from qualgate.gates.openapi_lint.model import Spec


def nullable(schema: dict[str, Any]) -> bool:
    return schema.get("nullable") is True or schema.get("x-nullable") is True


class Values:
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
                if nullable(schema) and "type" in schema:
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
        skip = {"request": ("readOnly",), "response": ("writeOnly",), "strict": ()}.get(
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
            from qualgate.gates.openapi_lint.loader import get

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


def validators(spec: Spec, mode: str) -> Values | Layered:
    """The validators for values sent (request), returned (response) or either (any).

    Building a registry copies every document into Rust (0.05 s for 4 MB). Without a
    schema that requires a readOnly/writeOnly property, the modes are the same: one
    registry. With one, values are first validated strictly (every required property
    required), and only a value that fails is validated again with the mode's own
    registry: dropping required names only ever makes more values valid, and most
    values are valid, so the mode registries are rarely built.
    """
    if "values:flags" not in spec.cache:
        spec.cache["values:flags"] = _flagged_required(spec)
    if "values:strict" not in spec.cache:
        spec.cache["values:strict"] = Values(spec, "strict")
    strict: Values = spec.cache["values:strict"]
    if not spec.cache["values:flags"]:
        return strict
    key = f"values:layered:{mode}"
    if key not in spec.cache:
        spec.cache[key] = Layered(spec, mode, strict)
    layered: Layered = spec.cache[key]
    return layered


class Layered:
    """Strict validation first; the mode's lenient registry only for failing values."""

    def __init__(self, spec: Spec, mode: str, strict: Values) -> None:
        self.spec = spec
        self.mode = mode
        self.strict = strict

    def errors(self, doc: Document, pointer: str, value: Any) -> list[str]:
        if not self.strict.errors(doc, pointer, value):
            return []
        key = f"values:{self.mode}"
        exact = self.spec.cache.get(key)
        if exact is None:
            exact = self.spec.cache[key] = Values(self.spec, self.mode)
        found: list[str] = exact.errors(doc, pointer, value)
        return found


def _flagged_required(spec: Spec) -> bool:
    """Whether any schema requires a property marked readOnly or writeOnly."""
    for _, _, schema in spec.schemas():
        required, props = schema.get("required"), schema.get("properties")
        if isinstance(required, list) and isinstance(props, dict):
            for name in required:
                prop = props.get(name) if isinstance(name, str) else None
                if isinstance(prop, dict) and (
                    prop.get("readOnly") is True or prop.get("writeOnly") is True
                ):
                    return True
    return False


def mode_of(pointer: str) -> str:
    """Whether a value at ``pointer`` is sent by clients, returned, or either."""
    if "/requestBody/" in pointer or "/requestBodies/" in pointer or "/parameters/" in pointer:
        return "request"
    if "/responses/" in pointer:
        return "response"
    return "any"
