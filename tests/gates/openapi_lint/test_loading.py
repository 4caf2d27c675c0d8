"""Loading: safe YAML, size and alias caps, parse errors located, positions for pointers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from qualgate.gates.openapi_lint import loader
from tests.gates.openapi_lint.helpers import clean, hits, lint, replace_line

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
)


def test_yaml_bomb_ends_fast_with_a_finding(tmp_path: Path) -> None:
    started = time.monotonic()
    run = lint(tmp_path, "openapi: 3.1.0\n" + BOMB)
    assert time.monotonic() - started < 5
    assert run.code == 1
    assert run.rules() == ["yaml-alias-bomb"]
    assert run.findings[0]["line"] is not None


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    run = lint(tmp_path, "openapi: 3.1.0\ninfo: &i\n  self: *i\n")
    assert hits(run, "yaml-alias-bomb") == [("openapi.yaml", 2)]


def test_plain_aliases_and_merge_keys_load(tmp_path: Path) -> None:
    text = clean("3.1").replace(
        "      properties:\n        name: {type: string}",
        "      properties:\n        name: &str {type: string}\n        nick: *str\n"
        "        other:\n          <<: *str\n          maxLength: 3",
    )
    run = lint(tmp_path, text)
    assert run.findings == [], run.findings


def test_invalid_yaml_is_a_fail_at_the_error_line(tmp_path: Path) -> None:
    run = lint(tmp_path, replace_line(clean("3.1"), 17, "      summary: [unclosed"))
    assert run.code == 1
    assert run.rules() == ["yaml-syntax"]
    assert run.findings[0]["line"] == 18
    assert run.verdict is not None and run.verdict["status"] == "fail"


def test_invalid_json_is_a_fail_at_the_error_position(tmp_path: Path) -> None:
    run = lint(tmp_path, '{\n  "openapi": "3.1.0",\n  "info": {,}\n}\n', name="openapi.json")
    assert run.code == 1
    assert [(f["rule"], f["line"], f["column"]) for f in run.findings] == [("json-syntax", 3, 12)]


def test_unsafe_tags_are_refused_not_executed(tmp_path: Path) -> None:
    text = replace_line(clean("3.1"), 3, "  title: !!python/object/apply:os.system ['touch pwned']")
    run = lint(tmp_path, text)
    assert hits(run, "yaml-unsupported-tag") == [("openapi.yaml", 3)]
    assert not (tmp_path / "pwned").exists()
    assert run.code == 1


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    run = lint(tmp_path, replace_line(clean("3.0"), 17, "      operationId: again"))
    assert hits(run, "yaml-duplicate-key") == [("openapi.yaml", 17)]


def test_document_size_cap(tmp_path: Path) -> None:
    run = lint(tmp_path, clean("3.1") + "x-pad: " + "a" * 2000 + "\n", "--max-size-mb", "0.001")
    assert run.rules() == ["document-too-large"]
    assert run.code == 1


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_bytes(b"openapi: 3.1.0\ninfo:\n  title: \xff\xfe\n")
    run = lint(tmp_path)
    assert [(f["rule"], f["line"]) for f in run.findings] == [("document-encoding", 3)]


def test_yaml_12_core_schema_scalars() -> None:
    doc, problems = loader.load_text(
        "a: [yes, no, on, 09:00, 2024-01-01, 0x1F, 0o17, 1e3, .inf, ~, True, '5', !!str 7]\n",
        Path("x.yaml"),
        "x.yaml",
    )
    assert problems == [] and doc is not None
    assert doc.data["a"][:9] == [
        "yes",
        "no",
        "on",
        "09:00",
        "2024-01-01",
        31,
        15,
        1000.0,
        float("inf"),
    ]
    assert doc.data["a"][9:] == [None, True, "5", "7"]


def test_yes_no_enum_is_string_typed(tmp_path: Path) -> None:
    text = replace_line(clean("3.1"), 38, "        name: {type: string, enum: [yes, no]}")
    assert lint(tmp_path, text).findings == []


def test_json_findings_carry_lines(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(clean("3.0"))
    del data["paths"]["/pets/{petId}"]["get"]["operationId"]
    text = json.dumps(data, indent=2)
    run = lint(tmp_path, text, name="openapi.json")
    expected = text.splitlines().index('    "/pets/{petId}": {') + 2
    assert hits(run, "operation-operationId") == [("openapi.json", expected)]


@pytest.mark.parametrize(
    ("pointer", "line", "column"),
    [
        ("", 1, 1),
        ("/a", 1, 2),
        ("/a/0", 1, 8),
        ("/a/1/b~1c", 1, 12),
        ("/a/2/1", 2, 7),
        ("/c", 3, 2),
        ('/c/d"e', 3, 8),
        ("/c/f", 3, 22),
    ],
)
def test_json_locator(pointer: str, line: int, column: int) -> None:
    text = '{"a": [1, {"b/c": "x,]}"},\n  [3, 4]],\n "c": {"d\\"e": null, "f": []}}'
    from qualgate.gates.openapi_lint.json_locator import JsonLocator

    locator = JsonLocator(text)
    found = locator.locate({pointer, "/missing", "/a/9"})
    assert found[pointer] == loader.Position(line=line, column=column)
    assert "/missing" not in found and "/a/9" not in found


def test_yaml_locator_points_at_keys_and_items() -> None:
    doc, _ = loader.load_text("a:\n  b:\n    - x\n    - {c: 1}\n", Path("x.yaml"), "x")
    assert doc is not None
    assert doc.locate_many(["/a/b", "/a/b/1/c", "/a/b/0", "/zz"]) == {
        "/a/b": loader.Position(line=2, column=3),
        "/a/b/1/c": loader.Position(line=4, column=8),
        "/a/b/0": loader.Position(line=3, column=7),
    }
