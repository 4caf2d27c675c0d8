"""Breaking-change judgement, category by category, in both directions.

Each row changes one schema from ``old`` to ``new`` and states what that change is for a
client when the schema is a request property and when it is a response property, both
forward (old -> new) and backward (new -> old). The expectations follow oasdiff's
checker (its rule id in the comment: ERR = error, WARN = warning, INFO = `api-change`
note) except where a comment says why not. The pairs are our own, written after
oasdiff's categories and test data; none of its files is copied here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qualgate.gates.openapi_lint.breaking import compare
from qualgate.gates.openapi_lint.lint import Settings, load_spec
from qualgate.gates.openapi_lint.model import Spec

N = "api-change"  # a note: not breaking
E_TYPE = "breaking-type-changed"
E_FORMAT = "breaking-format-changed"
E_REQ_ENUM = "breaking-request-enum-changed"
W_RES_ENUM = "breaking-response-enum-changed"
E_TIGHT = "breaking-constraint-tightened"
W_SET = "breaking-constraint-added"
E_KEYWORD = "breaking-keyword-changed"
E_SUB = "breaking-subschema-changed"
W_SUB = "breaking-subschema-removed"


Expected = str | frozenset[str] | None


@dataclass(frozen=True)
class Row:
    name: str
    old: dict[str, Any]
    new: dict[str, Any]
    # Request forward, request backward, response forward, response backward.
    expect: tuple[Expected, Expected, Expected, Expected]
    version: str = "3.1.0"


S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741
A = {"type": "array", "items": S}
O = {"type": "object", "properties": {"a": S, "b": S}}  # noqa: E741

ROWS = [
    # request-property-type-changed ERR / response-property-type-changed ERR
    Row("type changed", S, I, (E_TYPE, E_TYPE, E_TYPE, E_TYPE)),
    # request-property-type-generalized INFO; response-property-type-generalized ERR
    Row("integer to number", I, {"type": "number"}, (N, E_TYPE, E_TYPE, N)),
    # request-property-became-nullable INFO; response-property-became-nullable ERR
    Row("nullable (3.0)", S, {**S, "nullable": True}, (N, E_TYPE, E_TYPE, N), "3.0.3"),
    Row("nullable (3.1 type list)", S, {"type": ["string", "null"]}, (N, E_TYPE, E_TYPE, N)),
    Row("nullable (anyOf with null)", I, {"anyOf": [I, {"type": "null"}]}, (N, E_TYPE, E_TYPE, N)),
    # type/format generalized (date -> date-time) INFO in requests, ERR in responses
    Row(
        "format widened",
        {**S, "format": "date"},
        {**S, "format": "date-time"},
        (N, E_FORMAT, E_FORMAT, N),
    ),
    Row("format added", S, {**S, "format": "uuid"}, (E_FORMAT, N, N, E_FORMAT)),
    # request-property-enum-value-removed ERR, -added INFO; response-property-enum-value-
    # added WARN, -removed INFO
    Row(
        "enum value added",
        {**S, "enum": ["a", "b"]},
        {**S, "enum": ["a", "b", "c"]},
        (N, E_REQ_ENUM, W_RES_ENUM, N),
    ),
    # request-property-became-enum ERR
    Row("became enum", S, {**S, "enum": ["a"]}, (E_REQ_ENUM, N, N, W_RES_ENUM)),
    # request-property-x-extensible-enum-value-removed ERR (responses: nothing to break)
    Row(
        "x-extensible-enum value removed",
        {**S, "x-extensible-enum": ["a", "b"]},
        {**S, "x-extensible-enum": ["a"]},
        (E_REQ_ENUM, N, N, N),
    ),
    # request-property-const-added ERR, -removed INFO; response-property-const-removed ERR
    Row("const added", S, {**S, "const": "a"}, (E_KEYWORD, N, N, E_KEYWORD)),
    Row(
        "const changed",
        {**S, "const": "a"},
        {**S, "const": "b"},
        (E_KEYWORD, E_KEYWORD, E_KEYWORD, E_KEYWORD),
    ),
    # request-property-max-length-decreased ERR; response-property-max-length-increased ERR
    Row(
        "maxLength decreased",
        {**S, "maxLength": 10},
        {**S, "maxLength": 5},
        (E_TIGHT, N, N, E_TIGHT),
    ),
    # request-property-max-length-set WARN; response-property-max-length-unset ERR
    Row("maxLength set", S, {**S, "maxLength": 10}, (W_SET, N, N, E_TIGHT)),
    # request-property-min-increased ERR; response-property-min-decreased ERR
    Row("minimum increased", {**I, "minimum": 1}, {**I, "minimum": 5}, (E_TIGHT, N, N, E_TIGHT)),
    Row(
        "exclusiveMinimum increased",
        {**I, "exclusiveMinimum": 1},
        {**I, "exclusiveMinimum": 5},
        (E_TIGHT, N, N, E_TIGHT),
    ),
    # 3.0's boolean exclusiveMaximum: the same bound made exclusive is tighter.
    Row(
        "exclusiveMaximum (3.0) became true",
        {**I, "maximum": 10},
        {**I, "maximum": 10, "exclusiveMaximum": True},
        (E_TIGHT, N, N, E_TIGHT),
        "3.0.3",
    ),
    # request-property-min-items-increased ERR; response-property-min-items-decreased ERR
    Row("minItems increased", {**A, "minItems": 1}, {**A, "minItems": 2}, (E_TIGHT, N, N, E_TIGHT)),
    # request-property-pattern-added ERR; response patterns are INFO
    Row("pattern added", S, {**S, "pattern": "^a"}, (E_TIGHT, N, N, N)),
    # request-property-pattern-changed WARN
    Row("pattern changed", {**S, "pattern": "^a"}, {**S, "pattern": "^b"}, (W_SET, W_SET, N, N)),
    # request-property-pattern-generalized INFO (the false alarm of the issue: to .*)
    Row("pattern widened to .*", {**S, "pattern": "^a"}, {**S, "pattern": ".*"}, (N, W_SET, N, N)),
    Row("pattern widened to ''", {**S, "pattern": "^a"}, {**S, "pattern": ""}, (N, W_SET, N, N)),
    # request-property-contains-added ERR; response-property-contains-removed ERR
    Row("contains added", A, {**A, "contains": S}, (E_KEYWORD, N, N, E_KEYWORD)),
    # request-property-min-contains-increased ERR; -max-contains-decreased ERR
    Row(
        "minContains increased",
        {**A, "contains": S, "minContains": 1},
        {**A, "contains": S, "minContains": 2},
        (E_TIGHT, N, N, E_TIGHT),
    ),
    Row(
        "maxContains decreased",
        {**A, "contains": S, "maxContains": 5},
        {**A, "contains": S, "maxContains": 3},
        (E_TIGHT, N, N, E_TIGHT),
    ),
    # request-property-if-added / -then-added / -else-added ERR; response ...-removed ERR
    Row(
        "if/then added",
        O,
        {**O, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        (E_KEYWORD, N, N, E_KEYWORD),
    ),
    Row("else added", O, {**O, "else": {"required": ["b"]}}, (E_KEYWORD, N, N, E_KEYWORD)),
    # request-property-dependent-required-added ERR; response ...-removed ERR
    Row(
        "dependentRequired added",
        O,
        {**O, "dependentRequired": {"a": ["b"]}},
        (E_KEYWORD, N, N, E_KEYWORD),
    ),
    # ...-dependent-required-changed: ERR both ways in oasdiff. Here a request whose
    # dependency lost a name accepts more: a note (a documented difference).
    Row(
        "dependentRequired grew",
        {**O, "dependentRequired": {"a": []}},
        {**O, "dependentRequired": {"a": ["b"]}},
        (E_KEYWORD, N, E_KEYWORD, E_KEYWORD),
    ),
    Row(
        "dependentSchemas added",
        O,
        {**O, "dependentSchemas": {"a": {"required": ["b"]}}},
        (E_KEYWORD, N, N, E_KEYWORD),
    ),
    Row(
        "patternProperties added",
        O,
        {**O, "patternProperties": {"^x-": S}},
        (E_KEYWORD, N, N, E_KEYWORD),
    ),
    Row(
        "propertyNames added",
        O,
        {**O, "propertyNames": {"maxLength": 3}},
        (E_KEYWORD, N, N, E_KEYWORD),
    ),
    Row(
        "unevaluatedProperties added",
        O,
        {**O, "unevaluatedProperties": False},
        (E_KEYWORD, N, N, E_KEYWORD),
    ),
    Row(
        "unevaluatedItems added", A, {**A, "unevaluatedItems": False}, (E_KEYWORD, N, N, E_KEYWORD)
    ),
    # request-property-prefix-items-removed ERR, -added INFO; response: -added ERR
    Row(
        "prefixItems added",
        {"type": "array"},
        {"type": "array", "prefixItems": [S]},
        (N, E_KEYWORD, E_KEYWORD, N),
    ),
    Row(
        "additionalProperties false",
        O,
        {**O, "additionalProperties": False},
        (E_KEYWORD, N, N, E_KEYWORD),
    ),
    # The type under additionalProperties changed: traversed like a property.
    Row(
        "additionalProperties type",
        {"type": "object", "additionalProperties": S},
        {"type": "object", "additionalProperties": I},
        (E_TYPE, E_TYPE, E_TYPE, E_TYPE),
    ),
    Row(
        "contentMediaType changed",
        {**S, "contentMediaType": "image/png"},
        {**S, "contentMediaType": "image/jpeg"},
        (E_KEYWORD, E_KEYWORD, E_KEYWORD, E_KEYWORD),
    ),
    # request-property-one-of-added INFO, -removed ERR; response-property-one-of-added ERR
    Row(
        "oneOf alternative added",
        {"oneOf": [S, I]},
        {"oneOf": [S, I, {"type": "boolean"}]},
        (N, E_SUB, E_SUB, N),
    ),
    Row(
        "anyOf alternative added",
        {"anyOf": [S, I]},
        {"anyOf": [S, I, {"type": "boolean"}]},
        (N, E_SUB, E_SUB, N),
    ),
    # A change inside a matched oneOf alternative (same title) is compared in place.
    Row(
        "oneOf alternative changed",
        {"oneOf": [{"title": "s", **S}, {"title": "n", **I}]},
        {"oneOf": [{"title": "s", **S, "maxLength": 3}, {"title": "n", **I}]},
        (W_SET, N, N, E_TIGHT),
    ),
    # request-property-all-of-added ERR, -removed WARN; responses INFO. The part makes
    # `a` required: request-property-became-required ERR too.
    Row(
        "allOf part added",
        {"allOf": [O]},
        {"allOf": [O, {"required": ["a"]}]},
        # Backwards in a response, `a` is no longer guaranteed: response-property-became-
        # optional ERR.
        (
            frozenset((E_SUB, "breaking-request-property-required")),
            W_SUB,
            N,
            "breaking-response-property-removed",
        ),
    ),
    # ...-all-of-added-annotation-only INFO
    Row(
        "allOf annotation-only part",
        {"allOf": [O]},
        {"allOf": [O, {"description": "x"}]},
        (N, N, N, N),
    ),
    # request-body-wrapped-in-one-of / response-body-wrapped-in-one-of ERR. Unwrapped
    # again, a request loses its alternatives (and gains a type and required names).
    Row(
        "wrapped into oneOf",
        {**O, "required": ["a", "b"]},
        {"oneOf": [{**O, "required": ["a"]}, {**O, "required": ["b"]}]},
        (E_SUB, frozenset((E_SUB, E_TYPE, "breaking-request-property-required")), E_SUB, N),
    ),
    # Under `not`, accepting more means the whole accepts less: the direction turns
    # (oasdiff walks `not` like any subschema; a documented difference).
    Row(
        "maxLength decreased under not",
        {"type": "string", "not": {"maxLength": 10}},
        {"type": "string", "not": {"maxLength": 5}},
        (N, E_TIGHT, E_TIGHT, N),
    ),
]


def _document(version: str, request: dict[str, Any], response: dict[str, Any]) -> str:
    body = {"type": "object", "properties": {"p": request}}
    out = {"type": "object", "properties": {"p": response}}
    return json.dumps(
        {
            "openapi": version,
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/x": {
                    "post": {
                        "requestBody": {"content": {"application/json": {"schema": body}}},
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": out}},
                            }
                        },
                    }
                }
            },
        }
    )


def _spec(tmp_path: Path, name: str, text: str) -> Spec:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    spec, issues, _ = load_spec(path, name, tmp_path, Settings())
    assert spec is not None, issues
    return spec


def judged(tmp_path: Path, old: str, new: str) -> str | frozenset[str] | None:
    """How a change from ``old`` to ``new`` is reported: its non-note rule (the set of
    them when several), `api-change` when every finding is a note, None when nothing."""
    issues = compare(_spec(tmp_path, "old.json", old), _spec(tmp_path, "new.json", new))
    rules = {i.rule for i in issues}
    blocking = rules - {N}
    if len(blocking) > 1:
        return frozenset(blocking)
    if blocking:
        return blocking.pop()
    return N if rules else None


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_schema_change_in_both_directions(tmp_path: Path, row: Row) -> None:
    placeholder = {"type": "string", "description": "unchanged"}
    got = []
    for request in (True, False):
        for old, new in ((row.old, row.new), (row.new, row.old)):
            before = _document(
                row.version, *((old, placeholder) if request else (placeholder, old))
            )
            after = _document(row.version, *((new, placeholder) if request else (placeholder, new)))
            got.append(judged(tmp_path, before, after))
    assert tuple(got) == row.expect, f"request ->, request <-, response ->, response <-: {got}"


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_unchanged_schema_is_silent(tmp_path: Path, row: Row) -> None:
    text = _document(row.version, row.old, row.new)
    assert judged(tmp_path, text, text) is None
