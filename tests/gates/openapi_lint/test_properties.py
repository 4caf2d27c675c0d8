"""Property-based tests of the parsers openapi-lint owns: hostile input never crashes them,
and what they read back is what was written.

YAML and JSON loading, JSON pointers, the JSON and YAML locators, ``$ref`` walking and
resolution, ``.env`` parsing and app detection.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualgate.gates.openapi_lint import appdetect, dotenv
from qualgate.gates.openapi_lint.json_locator import JsonLocator
from qualgate.gates.openapi_lint.loader import Document, load_text
from qualgate.gates.openapi_lint.pointer import escape, get, join, split_pointer, unescape
from qualgate.gates.openapi_lint.refs import Resolver, iter_refs
from qualgate.gates.openapi_lint.yaml_loader import load_yaml, locate_yaml

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters YAML accepts raw in a document (JSON escapes the C0 controls itself).
_printable = st.characters(
    blacklist_categories=["Cs"],
    blacklist_characters="\x7f\ufeff\ufffe\uffff" + "".join(map(chr, range(0x80, 0xA0))),
)
keys = st.text(_printable, max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(_printable, max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


def _pointers(data: Any, here: str = "") -> list[str]:
    out = [here]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _pointers(value, join(here, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _pointers(value, join(here, index))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b and type(a) is type(b)


@FAST
@given(st.text())
def test_pointer_segments_round_trip(segment: str) -> None:
    assert unescape(escape(segment)) == segment
    assert split_pointer(join("", segment, "x")) == [segment, "x"]


@FAST
@given(json_values)
def test_every_pointer_of_a_document_gets_its_value(data: Any) -> None:
    for pointer in _pointers(data):
        value = get(data, pointer)
        assert value is data or pointer


@FAST
@given(st.text(max_size=400))
def test_yaml_loading_never_raises(text: str) -> None:
    loaded, _data, _node, problems = load_yaml(text)
    assert loaded or problems


@FAST
@given(st.text(max_size=400))
def test_json_loading_never_raises(text: str) -> None:
    doc, problems = load_text(text, Path("openapi.json"), "openapi.json")
    assert doc is not None or problems


@FAST
@given(json_values, st.sampled_from([None, 0, 2]))
def test_json_text_reads_back_the_same_as_yaml_and_json(data: Any, indent: int | None) -> None:
    text = json.dumps(data, indent=indent)
    # libyaml refuses JSON's surrogate-pair escapes (\ud800\udc00): YAML gets the
    # characters themselves.
    loaded, from_yaml, _node, problems = load_yaml(
        json.dumps(data, indent=indent, ensure_ascii=False)
    )
    assert loaded and not problems, problems
    assert _same(from_yaml, data)
    doc, json_problems = load_text(text, Path("x.json"), "x.json")
    assert doc is not None and not json_problems
    assert _same(doc.data, data)


@FAST
@given(json_values, st.sampled_from([None, 2]))
def test_json_and_yaml_locators_agree(data: Any, indent: int | None) -> None:
    """Both find every pointer of a JSON text, at the same place (a member's key)."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    _loaded, _data, node, _problems = load_yaml(text)
    assert node is not None
    pointers = set(_pointers(data))
    by_json = JsonLocator(text).locate(pointers)
    assert set(by_json) == pointers
    for pointer in pointers:
        assert locate_yaml(node, pointer) == by_json[pointer], pointer


ref_values = st.sampled_from(
    [
        "#/a",
        "#/a/b",
        "#",
        "#nope",
        "other.yaml#/x",
        "../out.yaml",
        "http://127.0.0.1:9/x",
        "file:///etc/passwd",
        "#/%7E0",
        "",
        "#/a/0/~1b",
    ]
)
ref_documents = st.recursive(
    scalars | st.builds(lambda r: {"$ref": r}, ref_values),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["a", "b", "properties", "example", "x-y", "0"]), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@FAST
@given(ref_documents)
def test_refs_walk_and_resolve_without_raising(tmp_path_factory: Any, data: Any) -> None:
    root = tmp_path_factory.mktemp("refs")
    for pointer, ref, holder in iter_refs(data):
        assert get(data, pointer) is holder and holder["$ref"] == ref
    doc = Document(
        path=root / "openapi.yaml", rel="openapi.yaml", data=data, text="", is_json=False
    )
    resolver = Resolver(doc, root)
    issues = resolver.check()
    # Every ref either resolves or is reported; nothing is ever fetched or read outside.
    assert len(resolver.sites) == len([s for s in resolver.sites if s.target is not None]) + len(
        [i for i in issues if i.rule.startswith("ref-")]
    )
    for site in resolver.sites:
        resolver.deref(site.doc, site.pointer, site.holder)


safe_values = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\n\r"),
    max_size=30,
)
env_keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)


@FAST
@given(st.dictionaries(env_keys, safe_values, max_size=6))
def test_dotenv_reads_back_double_quoted_values(variables: dict[str, str]) -> None:
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    text = "# generated\n" + "".join(f"{k}={quoted(v)}\n" for k, v in variables.items())
    assert dotenv.parse(text) == variables


@FAST
@given(st.text(max_size=300))
def test_dotenv_never_raises(text: str) -> None:
    parsed = dotenv.parse(text)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=300))
def test_app_detection_never_raises_on_any_source(tmp_path_factory: Any, source: str) -> None:
    root = tmp_path_factory.mktemp("detect")
    (root / "main.py").write_text("from fastapi import FastAPI\n" + source, encoding="utf-8")
    for candidate in appdetect.detect(root):
        assert candidate.target.startswith("main:")
