"""Every built-in rule: a clean document passes, a broken one fails at the exact line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.gates.openapi_lint.helpers import CLEAN_2, VERSIONS, clean, hits, lint, replace_line

V3 = ("3.0", "3.1")


def _v3(line: int, new: str) -> Callable[[str], str]:
    return lambda version: replace_line(clean(version), line, new)


def _v2(line: int, new: str) -> Callable[[str], str]:
    return lambda _version: replace_line(CLEAN_2, line, new)


def _insert(line: int, new: str, base: Callable[[str], str] = clean) -> Callable[[str], str]:
    """Insert ``new`` after line ``line``."""

    def make(version: str) -> str:
        text = base(version).splitlines()
        return "\n".join([*text[:line], new, *text[line:]]) + "\n"

    return make


def _append(new: str) -> Callable[[str], str]:
    return lambda version: clean(version) + new + "\n"


SECURITY_3 = """\
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        implicit:
          authorizationUrl: https://auth.example.com/
          scopes: {read: Read pets}"""

SECURITY_2 = """\
securityDefinitions:
  oauth:
    type: oauth2
    flow: implicit
    authorizationUrl: https://auth.example.com/
    scopes: {read: Read pets}"""

# (rule, versions, make(version) -> text, expected lines)
CASES: list[tuple[str, tuple[str, ...], Callable[[str], str], list[int]]] = [
    ("operation-operationId", V3, _v3(16, "      x-id: getPet"), [15]),
    ("operation-operationId", ("2.0",), _v2(15, "      x-id: getPet"), [14]),
    (
        "operation-operationId-unique",
        V3,
        _insert(13, "  /other:\n    get:\n      operationId: getPet\n      responses: {}"),
        [20],
    ),
    ("operation-operationId-url-safe", V3, _v3(16, "      operationId: get pet"), [16]),
    ("operation-operationId-url-safe", ("2.0",), _v2(15, "      operationId: get pet"), [15]),
    ("path-params", V3, _v3(14, "  /pets/{petId}/{toy}:"), [15]),
    ("path-params", V3, _v3(14, "  /pets/{id}:"), [15, 21]),
    ("path-params", ("2.0",), _v2(13, "  /pets/{id}:"), [14, 20]),
    ("path-params", ("3.1",), _v3(23, "          required: false"), [21]),
    (
        "parameter-duplicate",
        V3,
        _insert(
            24,
            "        - name: petId\n          in: path\n          required: true\n"
            "          schema: {type: integer}",
        ),
        [25],
    ),
    (
        "path-identical",
        V3,
        _insert(13, "  /pets/{id}:\n    get:\n      responses: {}"),
        [17],
    ),
    (
        "path-ambiguous",
        V3,
        _insert(13, "  /{kind}/mine:\n    get:\n      responses: {}"),
        [17],
    ),
    ("path-trailing-slash", V3, _v3(14, "  /pets/{petId}/:"), [14]),
    ("path-trailing-slash", ("2.0",), _v2(13, "  /pets/{petId}/:"), [13]),
    ("path-query-string", V3, _v3(14, "  /pets/{petId}?x=1:"), [14]),
    ("operation-success-response", V3, _v3(26, '        "400":'), [25]),
    ("operation-success-response", ("2.0",), _v2(25, '        "400":'), [24]),
    ("operation-4xx-response", V3, _v3(31, '        "500":'), [25]),
    ("operation-4xx-response", ("2.0",), _v2(28, '        "500":'), [24]),
    ("operation-summary", V3, _v3(17, "      x-summary: Get a pet"), [15]),
    ("operation-summary", ("2.0",), _v2(16, "      x-summary: Get a pet"), [14]),
    ("operation-description", V3, _v3(18, "      x-d: One pet."), [15]),
    ("operation-description", ("2.0",), _v2(17, "      x-d: One pet."), [14]),
    ("operation-tag-defined", V3, _v3(19, "      tags: [dogs]"), [19]),
    ("operation-tag-defined", ("2.0",), _v2(18, "      tags: [dogs]"), [18]),
    ("security-defined", V3, _v3(19, "      security: [{apiKey: []}]"), [19]),
    ("security-defined", ("2.0",), _v2(18, "      security: [{apiKey: []}]"), [18]),
    (
        "security-defined",
        V3,
        lambda v: replace_line(
            clean(v) + SECURITY_3 + "\n", 19, "      security: [{oauth: [write]}]"
        ),
        [19],
    ),
    (
        "security-defined",
        ("2.0",),
        lambda v: replace_line(
            CLEAN_2 + SECURITY_2 + "\n", 18, "      security: [{oauth: [write]}]"
        ),
        [18],
    ),
    ("servers-defined", V3, _v3(8, "x-servers:"), [1]),
    ("server-trailing-slash", V3, _v3(9, "  - url: https://api.example.com/v1/"), [9]),
    ("server-variables-defined", V3, _v3(9, "  - url: https://{region}.example.com"), [9]),
    (
        "server-variables-defined",
        V3,
        _v3(9, "  - {url: 'https://{r}.example.com', variables: {r: {default: eu, enum: [us]}}}"),
        [9],
    ),
    ("tag-duplicate", V3, _v3(12, "  - name: pets"), [12]),
    ("tag-duplicate", ("2.0",), _v2(11, "  - name: pets"), [11]),
    ("info-description", V3, _v3(5, "  x-d: Pet store."), [2]),
    ("info-description", ("2.0",), _v2(5, "  x-d: Pet store."), [2]),
    ("info-contact", VERSIONS, lambda v: replace_line(clean(v), 6, "  x-c: {}"), [2]),
    ("info-license", VERSIONS, lambda v: replace_line(clean(v), 7, "  x-l: {}"), [2]),
    ("components-unused", V3, _append("    Toy:\n      type: object"), [39]),
    ("components-unused", ("2.0",), lambda v: CLEAN_2 + "  Toy:\n    type: object\n", [35]),
    ("enum-unique", V3, _v3(38, "        name: {type: string, enum: [a, b, a]}"), [38]),
    ("enum-unique", ("2.0",), _v2(34, "      name: {type: string, enum: [a, b, a]}"), [34]),
    ("enum-type", V3, _v3(38, "        name: {type: string, enum: [a, 1]}"), [38]),
    ("enum-type", ("2.0",), _v2(34, "      name: {type: string, enum: [a, 1]}"), [34]),
    ("example-valid", V3, _v3(38, "        name: {type: string, example: 5}"), [38]),
    ("example-valid", ("2.0",), _v2(34, "      name: {type: string, example: 5}"), [34]),
    ("example-valid", V3, _insert(30, "              example: {name: 5}"), [31]),
    (
        "example-valid",
        V3,
        _insert(30, "              examples:\n                bad: {value: {name: [1]}}"),
        [32],
    ),
    ("example-valid", ("3.1",), _v3(38, "        name: {type: string, examples: [x, 5]}"), [38]),
    ("default-valid", V3, _v3(38, "        name: {type: string, default: 5}"), [38]),
    ("default-valid", ("2.0",), _v2(34, "      name: {type: string, default: 5}"), [34]),
    ("default-valid", ("2.0",), _insert(23, "          default: abc", lambda v: CLEAN_2), [24]),
    (
        "schema-required-undefined",
        V3,
        _v3(36, "      allOf: [{type: object}]\n      required: [age]"),
        [37],
    ),
    (
        "ref-siblings",
        ("3.0",),
        _v3(30, '              schema: {$ref: "#/components/schemas/Pet", description: x}'),
        [30],
    ),
    (
        "markdown-no-script",
        VERSIONS,
        lambda v: replace_line(clean(v), 5, '  description: "hi <script>alert(1)</script>"'),
        [5],
    ),
    (
        "markdown-no-eval",
        VERSIONS,
        lambda v: replace_line(clean(v), 5, '  description: "run eval(x) now"'),
        [5],
    ),
]


def _ids() -> list[str]:
    return [f"{rule}-{'-'.join(versions)}-{i}" for i, (rule, versions, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("version", VERSIONS)
def test_clean_documents_have_no_findings(tmp_path: Path, version: str) -> None:
    run = lint(tmp_path, clean(version))
    assert run.code == 0, run.findings
    assert run.findings == []
    assert run.verdict is not None and run.verdict["status"] == "pass"


@pytest.mark.parametrize(("rule", "versions", "make", "expected"), CASES, ids=_ids())
def test_rule_fails_at_line(
    tmp_path: Path,
    rule: str,
    versions: tuple[str, ...],
    make: Callable[[str], str],
    expected: list[int],
) -> None:
    for version in versions:
        root = tmp_path / version
        run = lint(root, make(version))
        found = sorted(line for _, line in hits(run, rule) if line is not None)
        assert found == expected, (version, run.findings)
        assert all(p == "openapi.yaml" for p, _ in hits(run, rule))
        severity = {f["severity"] for f in run.findings if f["rule"] == rule}
        assert len(severity) == 1
        assert run.code == (1 if any(f["severity"] == "error" for f in run.findings) else 0)
        for finding in run.findings:
            assert finding["data"]["pointer"].startswith("/") or finding["data"]["pointer"] == ""
            assert finding["column"] >= 1


def test_ref_siblings_are_fine_in_31(tmp_path: Path) -> None:
    text = _v3(30, '              schema: {$ref: "#/components/schemas/Pet", description: x}')(
        "3.1"
    )
    assert hits(lint(tmp_path, text), "ref-siblings") == []


def test_nullable_default_and_example_are_valid_in_30(tmp_path: Path) -> None:
    text = _v3(38, "        name: {type: string, nullable: true, default: null, example: null}")
    run = lint(tmp_path, text("3.0"))
    assert run.findings == []


def test_example_through_ref_to_cyclic_schema(tmp_path: Path) -> None:
    text = clean("3.1").replace(
        "        name: {type: string}",
        "        name: {type: string}\n        parent: {$ref: '#/components/schemas/Pet'}\n"
        "      example: {name: a, parent: {name: 3}}",
    )
    run = lint(tmp_path, text)
    assert hits(run, "example-valid") == [("openapi.yaml", 40)]
    assert "parent/name" in run.findings[0]["message"]


def test_read_only_and_write_only_required_properties_in_examples(tmp_path: Path) -> None:
    text = (
        clean("3.0")
        .replace(
            "      properties:\n        name: {type: string}",
            "      required: [id, name, secret]\n"
            "      properties:\n"
            "        id: {type: integer, readOnly: true}\n"
            "        name: {type: string}\n"
            "        secret: {type: string, writeOnly: true}",
        )
        .replace(
            "      responses:\n",
            "      requestBody:\n        content:\n          application/json:\n"
            '            schema: {$ref: "#/components/schemas/Pet"}\n'
            "            example: {name: rex, secret: s}\n      responses:\n",
            1,
        )
        .replace(
            '              schema: {$ref: "#/components/schemas/Pet"}\n        "404"',
            '              schema: {$ref: "#/components/schemas/Pet"}\n'
            "              example: {id: 1, name: rex}\n"
            '        "404"',
        )
    )
    run = lint(tmp_path, text)
    assert hits(run, "example-valid") == [], run.findings
    broken = text.replace("example: {id: 1, name: rex}", "example: {name: rex}")
    assert hits(lint(tmp_path / "b", broken), "example-valid") == [("openapi.yaml", 36)]


@pytest.mark.parametrize(
    ("version", "responses", "expected"),
    [
        # OpenAPI 3.1 made `responses` optional: valid, nothing to report.
        ("3.1.0", None, []),
        # A `default` response describes success too (any version).
        ("3.1.0", {"default": {"description": "any"}}, []),
        ("3.0.3", {"default": {"description": "any"}}, []),
        ("3.0.3", {"404": {"description": "missing"}}, ["operation-success-response"]),
    ],
)
def test_valid_documents_without_a_success_response(
    tmp_path: Path, version: str, responses: dict[str, object] | None, expected: list[str]
) -> None:
    import json

    operation: dict[str, object] = {"operationId": "ping"}
    if responses is not None:
        operation["responses"] = responses
    document = {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {"/ping": {"get": operation}},
    }
    run = lint(tmp_path, json.dumps(document), name="openapi.json")
    errors = [f["rule"] for f in run.findings if f["severity"] == "error"]
    assert errors == expected, run.findings
    if isinstance(responses, dict) and "default" in responses:
        # ...and any error response: no operation-4xx-response either.
        assert hits(run, "operation-4xx-response") == []
