"""Breaking changes between two versions: every category, locations, notes, --base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gates.openapi_lint.helpers import lint, replace_line
from tests.support import git, git_init, run_qualgate, write_files

OLD = """\
openapi: 3.0.3
info:
  title: Shop
  version: "1"
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - name: limit
          in: query
          schema: {type: integer, maximum: 100}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: "#/components/schemas/Item"}
        "400":
          description: bad
    post:
      operationId: createItem
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewItem"}
          application/xml:
            schema: {$ref: "#/components/schemas/NewItem"}
      responses:
        "201":
          description: created
        "200":
          description: ok
  /items/{id}:
    delete:
      operationId: deleteItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "204":
          description: gone
components:
  schemas:
    Item:
      type: object
      properties:
        id: {type: string, format: uuid}
        status: {type: string, enum: [open, closed]}
        name: {type: string}
    NewItem:
      type: object
      required: [name]
      properties:
        name: {type: string, maxLength: 50}
        kind: {type: string, enum: [a, b]}
        note: {type: string}
"""


def _compare(tmp_path: Path, new: str, old: str = OLD) -> list[dict[str, Any]]:
    write_files(tmp_path, {"old/openapi.yaml": old})
    run = lint(tmp_path / "project", new, "--against", str(tmp_path / "old" / "openapi.yaml"))
    assert run.verdict is not None
    return [f for f in run.findings if f["check"] == "breaking"]


def _breaking(findings: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    """Errors and warnings: oasdiff's ERR (breaks clients) and WARN (may break them)."""
    return sorted(
        (f["rule"], f["line"], f["data"]["side"])
        for f in findings
        if f["severity"] in ("error", "warning")
    )


CASES = [
    ("breaking-path-removed", 36, "  x-gone:", 36, "base"),
    ("breaking-operation-removed", 37, "    x-delete:", 37, "base"),
    ("breaking-parameter-removed", 10, "        - name: max", 10, "base"),
    (
        "breaking-parameter-required",
        12,
        "          required: true\n          schema: {type: integer, maximum: 100}",
        12,
        "new",
    ),
    (
        "breaking-request-property-required",
        25,
        "      requestBody:\n        required: true",
        25,
        "new",
    ),
    ("breaking-request-property-required", 54, "      required: [name, note]", 58, "new"),
    ("breaking-success-response-removed", 34, '        "x-200":', 34, "base"),
    (
        "breaking-response-optional-property-removed",
        51,
        "        x-name: {type: string}",
        51,
        "base",
    ),
    ("breaking-type-changed", 51, "        name: {type: integer}", 51, "new"),
    ("breaking-format-changed", 49, "        id: {type: string, format: uri}", 49, "new"),
    ("breaking-request-enum-changed", 57, "        kind: {type: string, enum: [a]}", 57, "new"),
    (
        "breaking-response-enum-changed",
        50,
        "        status: {type: string, enum: [open, closed, archived]}",
        50,
        "new",
    ),
    ("breaking-constraint-tightened", 56, "        name: {type: string, maxLength: 20}", 56, "new"),
    (
        "breaking-constraint-tightened",
        12,
        "          schema: {type: integer, maximum: 50}",
        12,
        "new",
    ),
    (
        "breaking-constraint-tightened",
        58,
        "        note: {type: string, pattern: '^[a-z]+$'}",
        58,
        "new",
    ),
    ("breaking-security-added", 38, "      security: [{key: []}]", 38, "new"),
    ("breaking-media-type-removed", 29, "          text/plain:", 29, "base"),
]


@pytest.mark.parametrize(
    ("rule", "line", "text", "expected_line", "side"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_breaking_category(
    tmp_path: Path, rule: str, line: int, text: str, expected_line: int, side: str
) -> None:
    found = _compare(tmp_path, replace_line(OLD, line, text))
    assert _breaking(found) == [(rule, expected_line, side)], found
    finding = next(f for f in found if f["rule"] == rule)
    assert finding["path"] == ("../old/openapi.yaml" if side == "base" else "openapi.yaml")
    assert finding["data"]["pointer"].startswith("/")


def test_no_change_pair_is_clean(tmp_path: Path) -> None:
    assert _compare(tmp_path, OLD) == []


def test_non_breaking_changes_are_notes(tmp_path: Path) -> None:
    new = (
        OLD.replace(
            "        note: {type: string}",
            "        note: {type: string}\n        color: {type: string}",
        )
        .replace("kind: {type: string, enum: [a, b]}", "kind: {type: string, enum: [a, b, c]}")
        .replace(
            "status: {type: string, enum: [open, closed]}", "status: {type: string, enum: [open]}"
        )
    )
    new = new.replace(
        "          schema: {type: integer, maximum: 100}",
        "          schema: {type: integer, maximum: 500}\n        - {name: q, in: query, "
        "schema: {type: string}}",
    )
    found = _compare(tmp_path, new)
    assert {f["severity"] for f in found} == {"note"}
    messages = " | ".join(f["message"] for f in found)
    assert "'color' was added" in messages
    assert "optional query parameter 'q' was added" in messages
    assert "enum values 'c' was added" in messages  # request: accepts more
    assert "enum values 'closed' was removed" in messages  # response: returns less
    assert "maximum changed from 100 to 500 (looser)" in messages


def test_renamed_path_template_is_not_a_change(tmp_path: Path) -> None:
    new = OLD.replace("/items/{id}", "/items/{itemId}").replace("name: id,", "name: itemId,")
    assert _breaking(_compare(tmp_path, new)) == []


def test_swagger_2_parameter_removed_and_type_changed(tmp_path: Path) -> None:
    old = """\
swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /a:
    get:
      parameters:
        - {name: q, in: query, type: string}
        - {name: n, in: query, type: integer}
      responses:
        "200": {description: ok}
"""
    # integer -> boolean is breaking; integer -> string would not be: a query string
    # is loosely typed, any value reads as a string (oasdiff's stronglyTyped=false).
    new = old.replace("        - {name: q, in: query, type: string}\n", "").replace(
        "type: integer", "type: boolean"
    )
    found = _compare(tmp_path, new, old)
    assert _breaking(found) == [
        ("breaking-parameter-removed", 7, "base"),
        ("breaking-type-changed", 7, "new"),
    ]


def test_against_missing_file_is_an_error(tmp_path: Path) -> None:
    run = lint(tmp_path, OLD, "--against", str(tmp_path / "nope.yaml"))
    assert run.code == 2


def test_against_invalid_old_file_is_reported(tmp_path: Path) -> None:
    found = _compare(tmp_path, OLD, old="openapi: [\n")
    assert [(f["rule"], f["severity"]) for f in found] == [("breaking-base-invalid", "warning")]


def test_base_ref_compares_with_git(tmp_path: Path) -> None:
    write_files(tmp_path, {"openapi.yaml": OLD})
    git_init(tmp_path)
    write_files(tmp_path, {"openapi.yaml": replace_line(OLD, 37, "    x-delete:")})
    write_files(tmp_path, {"api/openapi-new.yaml": OLD})  # new at HEAD: nothing to break
    run = run_qualgate("openapi-lint", str(tmp_path), "--base", "HEAD")
    assert run.code == 1
    breaking = [f for f in run.findings if f["check"] == "breaking" and f["severity"] == "error"]
    assert [(f["rule"], f["path"], f["line"], f["data"]["base"]) for f in breaking] == [
        ("breaking-operation-removed", "openapi.yaml", 37, "HEAD")
    ]
    assert "1 breaking change" in run.verdict["summary"]  # type: ignore[index]
    # Lint findings on unchanged lines predate the change: reported, not blocking.
    lint_findings = [f for f in run.findings if f["check"] != "breaking"]
    assert lint_findings and all(
        f.get("existing") for f in lint_findings if f["path"] == "openapi.yaml"
    )


def test_base_ref_with_nothing_changed_passes(tmp_path: Path) -> None:
    write_files(tmp_path, {"openapi.yaml": OLD})
    git_init(tmp_path)
    git(tmp_path, "tag", "v1")
    run = run_qualgate("openapi-lint", str(tmp_path), "--base", "v1")
    assert [f for f in run.findings if f["check"] == "breaking"] == []
    assert run.code == 0


def test_base_ref_follows_relative_refs_at_the_base(tmp_path: Path) -> None:
    old = OLD.replace('{$ref: "#/components/schemas/Item"}', '{$ref: "schemas.yaml#/Item"}')
    schemas = "Item:\n  type: object\n  properties:\n    id: {type: string}\n"
    write_files(tmp_path, {"openapi.yaml": old, "schemas.yaml": schemas})
    git_init(tmp_path)
    write_files(tmp_path, {"schemas.yaml": schemas.replace("id:", "key:")})
    # Only the referenced file changed: the root document's text is the same.
    run = run_qualgate("openapi-lint", str(tmp_path), "--base", "HEAD")
    breaking = [f for f in run.findings if f["check"] == "breaking" and f["severity"] != "note"]
    assert [(f["rule"], f["path"], f["line"], f["data"]["side"]) for f in breaking] == [
        ("breaking-response-optional-property-removed", "schemas.yaml", 4, "base")
    ]
