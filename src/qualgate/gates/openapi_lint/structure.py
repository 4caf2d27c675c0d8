"""Structure: the document against its version's official JSON Schema, plus semantics.

The reference is openapi-spec-validator. It validates the document against the OAS
JSON Schema it ships (2.0, 3.0, 3.1), then walks paths and components for what a
schema cannot say: unique operationIds, path parameters declared both ways, unique
parameters and tag names, each schema object valid for its dialect, and defaults
valid against their schema. It takes 5-18 s on large documents because every step is
pure-Python jsonschema over a lazily-resolved tree.

We validate against the same schema files (read from openapi-spec-validator's
package data) with jsonschema-rs, a compiled validator: 5-10 ms for a 4 MB document.
The semantic checks are rules of the registry (``duplicate-operation-id``,
``path-params``, ``parameter-duplicate``, ``tag-duplicate``, ``default-valid``,
``schema-required-undefined``); the per-schema dialect check of 3.1 is done here with
jsonschema-rs's meta-schema validation.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs

from qualgate.errors import GateError
from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import Document, escape
from qualgate.gates.openapi_lint.model import detect_version, schema_roots

_SCHEMA_DIRS = {"2.0": "v2.0", "3.0": "v3.0", "3.1": "v3.1", "3.2": "v3.2"}
# Nested errors beyond this many per document add nothing a user can act on.
MAX_ERRORS = 200


@functools.lru_cache(maxsize=8)
def _validator(version: str) -> Any:
    schema = json.loads((_schemas_dir() / _SCHEMA_DIRS[version] / "schema.json").read_text("utf-8"))
    return jsonschema_rs.validator_for(schema)


def _schemas_dir() -> Path:
    """openapi-spec-validator's bundled OAS schemas, found without importing it (1.4 s)."""
    spec = importlib.util.find_spec("openapi_spec_validator")
    if spec is None or not spec.submodule_search_locations:
        raise GateError(
            "openapi-spec-validator is not installed: its OpenAPI schemas are needed",
            "pip install openapi-spec-validator",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "schemas"


@functools.lru_cache(maxsize=1)
def _meta_validator() -> Any:
    return jsonschema_rs.Draft202012Validator(
        {"$ref": "https://json-schema.org/draft/2020-12/schema"}
    )


def version_issue(doc: Document) -> Issue | None:
    """An issue when ``doc`` is not an OpenAPI 2.0 / 3.x document we can check."""
    data = doc.data
    if not isinstance(data, dict):
        return Issue(
            rule="oas-structure",
            message="the document is not a mapping, so not an OpenAPI description",
            doc=doc,
        )
    if detect_version(data) is not None:
        return None
    if "swagger" in data:
        found = f"swagger: {data['swagger']!r}"
        pointer = "/swagger"
    elif "openapi" in data:
        found = f"openapi: {data['openapi']!r}"
        pointer = "/openapi"
    else:
        return Issue(
            rule="oas-version",
            message="neither `openapi: 3.x.y` nor `swagger: '2.0'` found at the top level",
            doc=doc,
        )
    return Issue(
        rule="oas-version",
        message=f"{found} is not a version this gate checks (2.0, 3.0.x, 3.1.x, 3.2.x)",
        doc=doc,
        pointer=pointer,
    )


def validate(doc: Document, version: str) -> list[Issue]:
    """Schema errors of ``doc`` (a root document of ``version``), located by pointer."""
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()
    for error in _validator(version).iter_errors(doc.data):
        for pointer, message in _flatten(error):
            if (pointer, message) in seen:
                continue
            seen.add((pointer, message))
            issues.append(Issue(rule="oas-structure", message=message, doc=doc, pointer=pointer))
            if len(issues) >= MAX_ERRORS:
                return issues
    if version in ("3.1", "3.2"):
        issues.extend(_schema_dialect(doc, version))
    return issues


def _pointer(path: Any) -> str:
    return "".join("/" + escape(str(part)) for part in path)


def _flatten(error: Any) -> Iterator[tuple[str, str]]:
    """The most useful leaf errors of one jsonschema-rs error.

    A ``oneOf``/``anyOf`` failure lists every branch's errors; the branch meant is the
    one whose errors go deepest into the instance (a Reference branch failing only
    for a missing "$ref" is the branch not meant), so report that branch's errors.
    """
    context = getattr(error.kind, "context", None)
    if not context:
        yield _pointer(error.instance_path), _message(error)
        return
    best: list[Any] | None = None
    best_score: tuple[int, int] | None = None
    for branch in context:
        if not branch:
            continue
        if all(_is_ref_required(e) for e in branch) and len(context) > 1:
            continue
        depth = max(len(e.instance_path) for e in branch)
        score = (depth, -len(branch))
        if best_score is None or score > best_score:
            best, best_score = branch, score
    if best is None:
        yield _pointer(error.instance_path), _message(error)
        return
    for sub in best:
        yield from _flatten(sub)


def _is_ref_required(error: Any) -> bool:
    return "$ref" in error.message and "required" in error.message


def _message(error: Any) -> str:
    text: str = error.message
    if len(text) > 300:
        text = text[:297] + "..."
    return f"not valid against the OpenAPI schema: {text}"


def _schema_dialect(doc: Document, version: str) -> list[Issue]:
    """3.1+: each schema object must be a valid JSON Schema 2020-12 schema."""
    issues: list[Issue] = []
    # The meta-schema walks nested subschemas itself, so the outermost ones suffice;
    # a "$schema" keyword picks another dialect the same way openapi-spec-validator does.
    for pointer, schema in schema_roots(doc.data, version):
        if not isinstance(schema, (dict, bool)):
            issues.append(
                Issue(
                    rule="oas-structure",
                    message=f"a schema must be an object or a boolean, not {schema!r:.60}",
                    doc=doc,
                    pointer=pointer,
                )
            )
            continue
        if isinstance(schema, dict) and "$schema" not in schema:
            # Every error, not just the first: the 2020-12 meta-schema ships with
            # jsonschema-rs (no network), so a validator for it lists them all.
            for error in _meta_validator().iter_errors(schema):
                for sub_pointer, message in _flatten(error):
                    issues.append(
                        Issue(
                            rule="oas-structure",
                            message=message.replace(
                                "not valid against the OpenAPI schema", "invalid JSON Schema"
                            ),
                            doc=doc,
                            pointer=pointer + sub_pointer,
                        )
                    )
            if len(issues) >= MAX_ERRORS:
                break
            continue
        try:
            jsonschema_rs.meta.validate(schema)
        except jsonschema_rs.ValidationError as exc:
            issues.append(
                Issue(
                    rule="oas-structure",
                    message=f"invalid JSON Schema: {exc.message}",
                    doc=doc,
                    pointer=pointer + _pointer(exc.instance_path),
                )
            )
        except (jsonschema_rs.ReferencingError, ValueError) as exc:
            issues.append(
                Issue(
                    rule="oas-structure",
                    message=f"invalid JSON Schema: {exc}",
                    doc=doc,
                    pointer=pointer,
                )
            )
        if len(issues) >= MAX_ERRORS:
            break
    return issues
