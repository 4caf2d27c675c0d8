"""Edge cases: explicit YAML tags, odd documents, and the less common change kinds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qualgate.gates.openapi_lint import loader
from qualgate.gates.openapi_lint.api import relative, validate_document
from tests.gates.openapi_lint.helpers import CLEAN_2, clean, hits, lint, replace_line
from tests.support import write_files


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!null x", None),
        ("!!bool yes", True),
        ("!!int 0x1f", 31),
        ("!!int -12", -12),
        ("!!float 1", 1.0),
        ("!!float .inf", float("inf")),
        ("!!timestamp 2024-01-01", "2024-01-01"),
        ("!!binary aGk=", "aGk="),
        ("!!str 12", "12"),
    ],
)
def test_explicit_core_tags(text: str, value: Any) -> None:
    doc, problems = loader.load_text(f"a: {text}\n", Path("x.yaml"), "x.yaml")
    assert problems == [] and doc is not None
    assert doc.data["a"] == value


@pytest.mark.parametrize(
    ("text", "rule", "line"),
    [
        ("a: !!int abc\n", "yaml-unsupported-tag", 1),
        ("a: !!float abc\n", "yaml-unsupported-tag", 1),
        ("a:\n  !!set {x, y}\n", "yaml-unsupported-tag", 2),
        ("a: !!omap [x]\n", "yaml-unsupported-tag", 1),
        ("? [a, b]\n: c\n", "yaml-complex-key", 1),
    ],
)
def test_refused_yaml(text: str, rule: str, line: int) -> None:
    doc, problems = loader.load_text(text, Path("x.yaml"), "x.yaml")
    assert doc is not None
    assert [(p.rule, p.line) for p in problems] == [(rule, line)]


def test_empty_and_unreadable(tmp_path: Path) -> None:
    doc, problems = loader.load_text("", tmp_path / "x.yaml", "x.yaml")
    assert doc is not None and doc.data is None and problems == []
    assert doc.locate("/a") is None
    missing, problems = loader.load_file(tmp_path / "none.yaml", "none.yaml")
    assert missing is None and problems[0].rule == "document-unreadable"
    (tmp_path / "openapi.yaml").write_text("", encoding="utf-8")
    assert [f.rule for f in validate_document(tmp_path / "openapi.yaml", tmp_path)] == [
        "oas-structure"
    ]


def test_relative_paths() -> None:
    assert relative(Path("/a/b/c.yaml"), Path("/a")) == "b/c.yaml"
    assert relative(Path("/x/c.yaml"), Path("/a")) == "../x/c.yaml"  # never absolute


def test_missing_node_falls_back_to_its_parent(tmp_path: Path) -> None:
    # "description" is required in a response: the error's pointer is the response.
    text = replace_line(clean("3.0"), 32, "          x-d: Not found.")
    run = lint(tmp_path, text)
    assert ("openapi.yaml", 31) in hits(run, "oas-structure")


def test_31_schema_that_is_not_an_object(tmp_path: Path) -> None:
    text = clean("3.1").replace(
        "    Pet:\n      type: object", "    Odd: 5\n    Pet:\n      type: object"
    )
    run = lint(tmp_path, text)
    assert ("openapi.yaml", 35) in hits(run, "oas-structure")


def test_schema_value_rules_edge_cases(tmp_path: Path) -> None:
    text = clean("3.0").replace(
        "        name: {type: string}",
        "        name: {type: string}\n"
        "        n: {type: integer, enum: [1, 2.0, null], nullable: true}\n"
        "        any: {enum: [1, a]}\n"
        "        free:\n"
        "          allOf: [{type: object}]\n"
        "          additionalProperties: true\n"
        "          required: [x]\n"
        "        mixed:\n"
        "          allOf: [{$ref: '#/components/schemas/Pet'}]\n"
        "          anyOf: [{properties: {b: {type: string}}}]\n"
        "          required: [name, b, c]",
    )
    run = lint(tmp_path, text)
    assert hits(run, "enum-type") == []
    assert hits(run, "schema-required-undefined") == [("openapi.yaml", 48)]


def test_parameter_header_and_2_0_response_examples(tmp_path: Path) -> None:
    text = replace_line(
        clean("3.1"), 24, "          schema: {type: integer}\n          example: abc"
    )
    run = lint(tmp_path, text)
    assert hits(run, "example-valid") == [("openapi.yaml", 25)]
    text2 = replace_line(
        CLEAN_2,
        27,
        '          schema: {$ref: "#/definitions/Pet"}\n'
        "          examples:\n            application/json: {name: 1}",
    )
    run2 = lint(tmp_path / "v2", text2)
    assert hits(run2, "example-valid") == [("openapi.yaml", 29)]


OLD = """\
openapi: 3.0.3
info: {title: t, version: "1"}
security: [{key: []}]
paths:
  /a:
    post:
      parameters:
        - {name: X-Trace, in: header, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema:
              allOf:
                - {$ref: "#/components/schemas/Base"}
                - type: object
                  properties:
                    extra: {type: string, nullable: true, format: byte}
                    pick:
                      oneOf: [{type: string}, {type: integer}]
                    free: {type: string}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Base"}
  /b:
    get:
      security: []
      responses:
        "200": {description: ok}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: k}
    other: {type: apiKey, in: header, name: o}
  schemas:
    Base:
      type: object
      properties:
        id: {type: string}
        tags: {type: array, items: {type: string, minLength: 1}}
"""


def _changes(tmp_path: Path, new: str, old: str = OLD) -> list[tuple[str, str, str]]:
    write_files(tmp_path, {"old.yaml": old})
    run = lint(tmp_path / "p", new, "--against", str(tmp_path / "old.yaml"))
    return sorted(
        (f["rule"], f["severity"], f["message"]) for f in run.findings if f["check"] == "breaking"
    )


@pytest.mark.parametrize(
    ("change", "rule", "fragment"),
    [
        (
            ("security: [{key: []}]", "security: [{other: []}]"),
            "breaking-security-added",
            "no longer",
        ),
        (("      security: []\n", ""), "breaking-security-added", "now required"),
        (
            ("extra: {type: string, nullable: true,", "extra: {type: string, nullable: false,"),
            "breaking-type-changed",
            "became not nullable",
        ),
        (("format: byte}", "format: binary}"), "breaking-format-changed", "format changed"),
        (("format: byte}", "}"), "api-change", "format changed from 'byte' to none"),
        (
            (
                "oneOf: [{type: string}, {type: integer}]",
                "oneOf: [{type: string}, {type: boolean}]",
            ),
            "breaking-type-changed",
            "integer to boolean",
        ),
        (
            ("                    free: {type: string}\n", ""),
            "breaking-request-property-removed",
            "'free' was removed",
        ),
        # Base is used by the request body too (through allOf): tighter there breaks.
        (
            ("items: {type: string, minLength: 1}", "items: {type: string, minLength: 2}"),
            "breaking-constraint-tightened",
            "minLength changed from 1 to 2 (stricter)",
        ),
        # The same schema is returned in a response: looser there breaks (oasdiff's
        # response-property-min-length-decreased), while the request side is a note.
        (
            ("items: {type: string, minLength: 1}", "items: {type: string, minLength: 0}"),
            "breaking-constraint-tightened",
            "response 200.tags[]: minLength changed from 1 to 0 (looser)",
        ),
        (
            ("id: {type: string}", "ids: {type: string}"),
            "breaking-response-optional-property-removed",
            "'id' was removed",
        ),
        (
            ("free: {type: string}", "free: {type: string, enum: [a]}"),
            "breaking-request-enum-changed",
            "enum 'a' was added",
        ),
        (
            (
                "          application/json:\n            schema:\n              allOf",
                "          application/xml:\n            schema:\n              allOf",
            ),
            "breaking-media-type-removed",
            "application/json was removed",
        ),
    ],
)
def test_more_change_kinds(
    tmp_path: Path, change: tuple[str, str], rule: str, fragment: str
) -> None:
    assert change[0] in OLD
    found = _changes(tmp_path, OLD.replace(change[0], change[1], 1))
    if fragment == "never":
        assert not [f for f in found if f[1] == "error"], found
        return
    assert any(r == rule and fragment in m for r, _, m in found), found


def test_header_names_are_case_insensitive_and_new_body_required(tmp_path: Path) -> None:
    new = OLD.replace("name: X-Trace", "name: x-trace").replace(
        "      security: []\n",
        "      security: []\n      requestBody:\n        required: true\n"
        "        content: {text/plain: {schema: {type: string}}}\n",
    )
    found = _changes(tmp_path, new)
    assert [(r, s) for r, s, _ in found] == [("breaking-request-property-required", "error")]


def test_swagger_2_body_and_response_schemas(tmp_path: Path) -> None:
    old = """\
swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /a:
    post:
      parameters:
        - {name: body, in: body, schema: {type: object, properties: {a: {type: string}}}}
      responses:
        "200":
          description: ok
          schema: {type: object, properties: {b: {type: string}}}
"""
    new = old.replace("{a: {type: string}}", "{a: {type: integer}}").replace(
        "{b: {type: string}}", "{c: {type: string}}"
    )
    found = _changes(tmp_path, new, old)
    assert [(r, s) for r, s, _ in found if s != "note"] == [
        ("breaking-response-optional-property-removed", "warning"),
        ("breaking-type-changed", "error"),
    ]


def test_rules_tripped_by_an_invalid_document_are_listed_not_fatal(tmp_path: Path) -> None:
    text = clean("3.1").replace("  - url: https://api.example.com/v1", "  - url: [1]")
    text = text.replace("      tags: [pets]", "      tags: [[pets]]")
    run = lint(tmp_path, text)
    assert run.code == 1
    assert hits(run, "oas-structure")
    assert run.verdict is not None
    assert "operation-tag-defined" in run.verdict["metrics"]["rules_not_run"]["openapi.yaml"]


def test_a_rule_crashing_on_a_valid_document_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from qualgate.gates.openapi_lint.issues import Issue
    from qualgate.gates.openapi_lint.model import Spec
    from qualgate.gates.openapi_lint.rules.ruleset import CHECKS

    def boom(_spec: Spec) -> list[Issue]:
        raise TypeError("bug")

    check = CHECKS["info-contact"]
    monkeypatch.setitem(CHECKS, "info-contact", dataclasses.replace(check, run=boom))
    run = lint(tmp_path, clean("3.1"))
    assert run.code == 2
    assert run.verdict is not None and "internal error" in run.verdict["summary"]


def test_comparison_with_a_structurally_invalid_old_side(tmp_path: Path) -> None:
    broken = OLD.replace(
        "        - {name: X-Trace, in: header,", "        - {name: [X], in: header,"
    )
    found = _changes(tmp_path, OLD, old=broken)
    assert [(r, s) for r, s, _ in found] == [("breaking-base-invalid", "warning")]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ('{$schema: "https://json-schema.org/draft/2020-12/schema", type: 5}', 1),
        ('{$schema: "https://json-schema.org/draft/2020-12/schema", type: string}', 0),
        ('{$schema: "https://example.com/unknown-dialect", type: string}', 1),
    ],
)
def test_31_schemas_with_their_own_dialect(tmp_path: Path, schema: str, expected: int) -> None:
    text = clean("3.1").replace("  schemas:\n", f"  schemas:\n    Odd: {schema}\n")
    run = lint(tmp_path, text)
    assert len(hits(run, "oas-structure")) == expected, run.findings
