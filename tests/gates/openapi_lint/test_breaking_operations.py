"""Breaking-change judgement of operations, parameters, bodies, responses, headers,
webhooks and security, in both directions (oasdiff's rule ids in the comments)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.gates.openapi_lint.helpers import lint
from tests.gates.openapi_lint.test_breaking_table import N, judged
from tests.support import git_init, run_qualgate, write_files

BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {
                            "X-Rate": {"required": True, "schema": {"type": "integer"}},
                            "X-Trace": {"schema": {"type": "string"}},
                        },
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    },
                    "404": {"description": "missing"},
                },
            },
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                    }
                },
                "responses": {"201": {"description": "created"}},
            },
        },
        "/old": {"delete": {"deprecated": True, "responses": {"204": {"description": "gone"}}}},
    },
    "webhooks": {"itemCreated": {"post": {"responses": {"200": {"description": "ok"}}}}},
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "readOnly": True},
                    "name": {"type": "string"},
                    "secret": {"type": "string", "writeOnly": True},
                },
            }
        }
    },
}

Change = Callable[[dict[str, Any]], None]


def _get(doc: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"]["/items"]["get"]
    return op


def _post(doc: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"]["/items"]["post"]
    return op


def _item(doc: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = doc["components"]["schemas"]["Item"]
    return schema


def _set(path: list[str | int], value: Any) -> Change:
    def change(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]  # type: ignore[index]
        node[path[-1]] = value  # type: ignore[index]

    return change


def _del(path: list[str | int]) -> Change:
    def change(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]  # type: ignore[index]
        del node[path[-1]]  # type: ignore[arg-type]

    return change


def _both(first: Change, second: Change) -> Change:
    def change(doc: dict[str, Any]) -> None:
        first(doc)
        second(doc)

    return change


GET = ["paths", "/items", "get"]
POST = ["paths", "/items", "post"]
RESPONSE = [*GET, "responses", "200"]
ITEM = ["components", "schemas", "Item"]

# (name, change applied to BASE, judged forward (BASE -> changed), backward)
CASES: list[tuple[str, Change, Any, Any]] = [
    # api-path-removed-without-deprecation ERR / endpoint-added INFO
    ("path removed", _del(["paths", "/items"]), "breaking-path-removed", N),
    # api-removed-with-deprecation INFO
    ("deprecated operation removed", _del(["paths", "/old"]), N, N),
    ("operation removed", _del([*POST]), "breaking-operation-removed", N),
    # webhook-removed ERR / webhook-added INFO
    ("webhook removed", _del(["webhooks", "itemCreated"]), "breaking-webhook-removed", N),
    # request-parameter-removed WARN / new-optional-request-parameter INFO
    ("parameter removed", _del([*GET, "parameters", 0]), "breaking-parameter-removed", N),
    # request-parameter-became-required ERR / -became-optional INFO
    (
        "parameter became required",
        _set([*GET, "parameters", 0, "required"], True),
        "breaking-parameter-required",
        N,
    ),
    # new-required-request-parameter ERR
    (
        "required parameter added",
        lambda d: _get(d)["parameters"].append(
            {"name": "k", "in": "header", "required": True, "schema": {"type": "string"}}
        ),
        "breaking-parameter-required",
        "breaking-parameter-removed",
    ),
    # request-parameter-default-value-added/-changed/-removed ERR
    (
        "parameter default added",
        _set([*GET, "parameters", 0, "schema", "default"], "x"),
        "breaking-parameter-default-changed",
        "breaking-parameter-default-changed",
    ),
    # request-body-removed ERR / added-optional-request-body INFO
    ("request body removed", _del([*POST, "requestBody"]), "breaking-request-body-removed", N),
    # request-body-became-required ERR / -became-optional INFO
    (
        "request body became required",
        _set([*POST, "requestBody", "required"], True),
        "breaking-request-property-required",
        N,
    ),
    # request-body-media-type-removed ERR / -added INFO
    (
        "request media type replaced",
        lambda d: _post(d)["requestBody"].__setitem__(
            "content", {"text/plain": {"schema": {"type": "string"}}}
        ),
        "breaking-media-type-removed",
        "breaking-media-type-removed",
    ),
    # response-success-status-removed ERR / response-non-success-status-removed INFO
    (
        "success response removed",
        _del([*GET, "responses", "200"]),
        "breaking-success-response-removed",
        N,
    ),
    ("error response removed", _del([*GET, "responses", "404"]), N, N),
    # required-response-header-removed ERR / optional-response-header-removed WARN
    (
        "required header removed",
        _del([*RESPONSE, "headers", "X-Rate"]),
        "breaking-response-header-removed",
        N,
    ),
    (
        "optional header removed",
        _del([*RESPONSE, "headers", "X-Trace"]),
        "breaking-response-optional-header-removed",
        N,
    ),
    # response-header-became-optional ERR
    (
        "header became optional",
        _set([*RESPONSE, "headers", "X-Rate", "required"], False),
        "breaking-response-header-removed",
        N,
    ),
    # response-header-type-changed ERR (header values are loosely typed: integer -> string
    # would be compatible, so integer -> boolean)
    (
        "header type changed",
        _set([*RESPONSE, "headers", "X-Rate", "schema", "type"], "boolean"),
        "breaking-type-changed",
        "breaking-type-changed",
    ),
    # response-optional-property-removed WARN; Item is the request body too, where it is
    # request-property-removed WARN.
    (
        "optional property removed",
        _del([*ITEM, "properties", "name"]),
        frozenset(
            ("breaking-request-property-removed", "breaking-response-optional-property-removed")
        ),
        N,
    ),
    # response-required-property-removed ERR; id is readOnly, so not in requests.
    (
        "required property removed",
        _both(_del([*ITEM, "properties", "id"]), _set([*ITEM, "required"], [])),
        "breaking-response-property-removed",
        N,
    ),
    # response-property-became-optional ERR; id is readOnly: in the request it is not
    # sent, so its requiredness does not matter there.
    (
        "response property became optional",
        _set([*ITEM, "required"], []),
        "breaking-response-property-removed",
        N,
    ),
    # request-property-became-required ERR for name (not readOnly)
    (
        "request property became required",
        _set([*ITEM, "required"], ["id", "name"]),
        "breaking-request-property-required",
        "breaking-response-property-removed",
    ),
    # A readOnly property in a request and a writeOnly one in a response are not on
    # the wire that way: their changes break nobody there.
    (
        "readOnly and writeOnly properties retyped",
        _both(
            _set([*ITEM, "properties", "id", "type"], "integer"),
            _set([*ITEM, "properties", "secret", "type"], "integer"),
        ),
        "breaking-type-changed",
        "breaking-type-changed",
    ),
    # Security added: oasdiff INFO, breaking here (calls without it are refused).
    ("security added", _set([*GET, "security"], [{"key": []}]), "breaking-security-added", N),
]


def _doc(change: Change | None) -> str:
    doc = copy.deepcopy(BASE)
    doc.setdefault("components", {})["securitySchemes"] = {
        "key": {"type": "apiKey", "in": "header", "name": "k"}
    }
    if change is not None:
        change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("name", "change", "forward", "backward"), CASES, ids=[c[0] for c in CASES]
)
def test_change_in_both_directions(
    tmp_path: Path, name: str, change: Change, forward: Any, backward: Any
) -> None:
    base, changed = _doc(None), _doc(change)
    assert base != changed, name
    assert judged(tmp_path, base, changed) == forward, "forward"
    assert judged(tmp_path, changed, base) == backward, "backward"


def test_readonly_and_writeonly_changes_are_reported_on_the_side_that_uses_them(
    tmp_path: Path,
) -> None:
    from qualgate.gates.openapi_lint.breaking import compare
    from tests.gates.openapi_lint.test_breaking_table import _spec

    def retype(d: dict[str, Any]) -> None:
        _item(d)["properties"]["id"]["type"] = "integer"
        _item(d)["properties"]["secret"]["type"] = "integer"

    issues = compare(
        _spec(tmp_path, "old.json", _doc(None)), _spec(tmp_path, "new.json", _doc(retype))
    )
    blocking = sorted(i.message for i in issues if i.rule != N)
    # id (readOnly) breaks the response, secret (writeOnly) the request; not the reverse.
    assert blocking == [
        "GET /items response 200.id: type changed from string to integer",
        "POST /items request body.secret: type changed from string to integer",
    ]


def test_a_change_only_in_a_referenced_file_is_compared_at_base(tmp_path: Path) -> None:
    root = """\
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /a:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "schemas/item.yaml"}
      responses:
        "200": {description: ok}
"""
    item = "type: object\nproperties:\n  n: {type: string}\n"
    write_files(tmp_path, {"openapi.yaml": root, "schemas/item.yaml": item})
    git_init(tmp_path)
    write_files(tmp_path, {"schemas/item.yaml": item.replace("string}", "string, maxLength: 3}")})
    run = run_qualgate("openapi-lint", str(tmp_path), "--base", "HEAD")
    breaking = [(f["rule"], f["path"], f["line"]) for f in run.findings if f["check"] == "breaking"]
    assert breaking == [("breaking-constraint-added", "schemas/item.yaml", 3)]


def test_unchanged_split_document_is_not_compared(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "openapi.yaml": 'openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths: {}\n'
            "components:\n  schemas:\n    A: {$ref: 'a.yaml'}\n",
            "a.yaml": "type: string\n",
        },
    )
    git_init(tmp_path)
    run = run_qualgate("openapi-lint", str(tmp_path), "--base", "HEAD")
    assert run.verdict is not None
    assert "breaking" not in [c["name"] for c in run.verdict["checks"]] or not [
        f for f in run.findings if f["check"] == "breaking"
    ]


def test_webhook_removal_end_to_end(tmp_path: Path) -> None:
    old = _doc(None)
    write_files(tmp_path, {"old.json": old})
    run = lint(
        tmp_path / "p",
        _doc(_del(["webhooks", "itemCreated"])),
        "--against",
        str(tmp_path / "old.json"),
        name="openapi.json",
    )
    removed = [f for f in run.findings if f["rule"] == "breaking-webhook-removed"]
    assert [(f["path"], f["data"]["side"]) for f in removed] == [("../old.json", "base")]
    assert run.code == 1
