"""Walking an OpenAPI document: version, operations, parameters and schema objects.

Shared by the structure check, the rules and the breaking-change comparison. Nothing
here expands refs; `Spec.deref` follows them one node at a time, so cyclic schemas
are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from qualgate.gates.openapi_lint.loader import Document, escape, join
from qualgate.gates.openapi_lint.refs import LITERALS, Resolver

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.\d+)?(?:-.+)?$")

# Schema keywords holding one subschema / a list of them / a map of them.
_SUB_ONE = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)
_SUB_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUB_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def detect_version(data: Any) -> str | None:
    """ "2.0", "3.0", "3.1" or "3.2"; None when the document says nothing we know."""
    if not isinstance(data, dict):
        return None
    if "swagger" in data:
        return "2.0" if str(data["swagger"]) == "2.0" else None
    value = data.get("openapi")
    if isinstance(value, str):
        match = _VERSION.match(value)
        if match and match.group(1) == "3" and match.group(2) in ("0", "1", "2"):
            return f"3.{match.group(2)}"
    return None


@dataclass(frozen=True, kw_only=True, slots=True)
class Operation:
    path: str
    method: str
    pointer: str
    op: dict[str, Any]
    item: dict[str, Any]
    item_pointer: str
    doc: Document


@dataclass(frozen=True, kw_only=True, slots=True)
class Node:
    """A dereferenced node: where it lives and its value."""

    doc: Document
    pointer: str
    value: Any


class Spec:
    """A root document with its resolver, and the walks rules need."""

    def __init__(self, doc: Document, resolver: Resolver, version: str) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.resolver = resolver
        self.version = version
        self._operations: list[Operation] | None = None
        self._schemas: list[tuple[Document, str, dict[str, Any]]] | None = None
        # Per-run caches rules share (validators, ...), keyed by their owner.
        self.cache: dict[str, Any] = {}

    def documents(self) -> list[Document]:
        """The root document, then every document its refs reached."""
        docs = [self.doc]
        docs += [d for d in self.resolver.docs.values() if d is not None and d is not self.doc]
        return docs

    def schemas(self) -> list[tuple[Document, str, dict[str, Any]]]:
        """Every schema object written in any loaded document (computed once)."""
        if self._schemas is None:
            self._schemas = [
                (doc, pointer, schema)
                for doc in self.documents()
                if isinstance(doc.data, dict)
                for pointer, schema in iter_schemas(doc.data, self.version)
            ]
        return self._schemas

    @property
    def v2(self) -> bool:
        return self.version == "2.0"

    def deref(self, doc: Document, pointer: str, value: Any) -> Node:
        d, p, v = self.resolver.deref(doc, pointer, value)
        return Node(doc=d, pointer=p, value=v)

    def operations(self) -> list[Operation]:
        """Every operation under ``paths`` (path items may be refs)."""
        if self._operations is not None:
            return self._operations
        found: list[Operation] = []
        paths = self.data.get("paths")
        if isinstance(paths, dict):
            for path, raw_item in paths.items():
                if path.startswith("x-"):
                    continue
                node = self.deref(self.doc, join("/paths", path), raw_item)
                item = node.value
                if not isinstance(item, dict):
                    continue
                for method in METHODS:
                    op = item.get(method)
                    if isinstance(op, dict):
                        found.append(
                            Operation(
                                path=path,
                                method=method,
                                pointer=join(node.pointer, method),
                                op=op,
                                item=item,
                                item_pointer=node.pointer,
                                doc=node.doc,
                            )
                        )
        self._operations = found
        return found

    def parameters(self, op: Operation) -> list[Node]:
        """The operation's parameters, path-level ones included unless overridden."""
        own = self._param_list(op.doc, join(op.pointer, "parameters"), op.op.get("parameters"))
        inherited = self._param_list(
            op.doc, join(op.item_pointer, "parameters"), op.item.get("parameters")
        )
        keys = {(p.value.get("name"), p.value.get("in")) for p in own}
        return own + [p for p in inherited if (p.value.get("name"), p.value.get("in")) not in keys]

    def _param_list(self, doc: Document, pointer: str, raw: Any) -> list[Node]:
        out = []
        if isinstance(raw, list):
            for index, item in enumerate(raw):
                node = self.deref(doc, f"{pointer}/{index}", item)
                if isinstance(node.value, dict):
                    out.append(node)
        return out

    def responses(self, op: Operation) -> dict[str, Node]:
        raw = op.op.get("responses")
        out: dict[str, Node] = {}
        if isinstance(raw, dict):
            for code, value in raw.items():
                if code.startswith("x-"):
                    continue
                out[str(code)] = self.deref(op.doc, join(op.pointer, "responses", code), value)
        return out

    def media_schemas(self, node: Node) -> Iterator[tuple[str, Node]]:
        """(media type, schema node) of a response or request body (2.0: one schema)."""
        value = node.value
        if not isinstance(value, dict):
            return
        if self.v2:
            if isinstance(value.get("schema"), dict):
                yield "", self.deref(node.doc, join(node.pointer, "schema"), value["schema"])
            return
        content = value.get("content")
        if isinstance(content, dict):
            for media, obj in content.items():
                if isinstance(obj, dict) and isinstance(obj.get("schema"), (dict, bool)):
                    yield (
                        media,
                        self.deref(
                            node.doc, join(node.pointer, "content", media, "schema"), obj["schema"]
                        ),
                    )

    def request_body(self, op: Operation) -> Node | None:
        if self.v2:
            for param in self.parameters(op):
                if param.value.get("in") == "body":
                    return param
            return None
        raw = op.op.get("requestBody")
        if raw is None:
            return None
        return self.deref(op.doc, join(op.pointer, "requestBody"), raw)


# ---------------------------------------------------------------------------
# Schema objects


def iter_schemas(data: Any, version: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, schema) for every schema object written in ``data`` (refs not followed).

    Also yields Swagger 2.0 non-body parameters, headers and items, which carry
    schema keywords (type, enum, default) themselves.
    """
    roots = schema_roots(data, version)
    seen: set[int] = set()
    stack = list(reversed(roots))
    while stack:
        pointer, schema = stack.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        yield pointer, schema
        children: list[tuple[str, Any]] = []
        for key in _SUB_ONE:
            sub = schema.get(key)
            if isinstance(sub, dict):
                children.append((f"{pointer}/{key}", sub))
            elif key == "items" and isinstance(sub, list):
                children.extend((f"{pointer}/items/{i}", s) for i, s in enumerate(sub))
        for key in _SUB_LIST:
            subs = schema.get(key)
            if isinstance(subs, list):
                children.extend((f"{pointer}/{key}/{i}", s) for i, s in enumerate(subs))
        for key in _SUB_MAP:
            subs = schema.get(key)
            if isinstance(subs, dict):
                children.extend((f"{pointer}/{key}/{escape(k)}", s) for k, s in subs.items())
        stack.extend(reversed(children))


def schema_roots(data: Any, version: str) -> list[tuple[str, Any]]:
    """(pointer, schema) of the outermost schema objects (components, media types...)."""
    roots: list[tuple[str, Any]] = []
    _find_schema_roots(data, "", roots, version, top=True)
    return roots


def _find_schema_roots(
    node: Any, pointer: str, out: list[tuple[str, Any]], version: str, *, top: bool = False
) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, (dict, list)):
                _find_schema_roots(item, f"{pointer}/{index}", out, version)
        return
    if not isinstance(node, dict):
        return
    if version == "2.0" and _is_v2_simple(node, pointer):
        out.append((pointer, node))
        # Its items are reached as subschemas.
        return
    for key, value in node.items():
        if not isinstance(value, (dict, list)) or key in LITERALS or key.startswith("x-"):
            continue
        here = f"{pointer}/{escape(key)}"
        if key == "schema" and isinstance(value, dict):
            out.append((here, value))
        elif (
            (top and key == "definitions") or (pointer == "/components" and key == "schemas")
        ) and isinstance(value, dict):
            out.extend((f"{here}/{escape(k)}", s) for k, s in value.items())
        else:
            _find_schema_roots(value, here, out, version)


def _is_v2_simple(node: dict[str, Any], pointer: str) -> bool:
    """A Swagger 2.0 non-body parameter or a header: schema keywords on the object."""
    if "type" not in node or "$ref" in node or "schema" in node:
        return False
    if "in" in node and node.get("in") != "body":
        return True
    return "/headers/" in pointer
