"""Units of artifact-validate: the Markdown scanner, slugs, positions, globs, fast paths.

The fast paths are pinned to the libraries they stand in for by differential tests: for
every sample, the shortcut either declines or answers exactly what PyYAML / jsonschema do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from qualgate.errors import GateError
from qualgate.gates.artifact_validate import fastschema, fastyaml, markdown
from qualgate.gates.artifact_validate.documents import check_files
from qualgate.gates.artifact_validate.globs import Glob
from qualgate.gates.artifact_validate.locate import (
    json_positions,
    toml_error_position,
    toml_positions,
)
from qualgate.gates.artifact_validate.schemas import jsonable
from qualgate.gates.artifact_validate.types import BUILTIN, TypeSet, describe_types, resolve_types

# ---------------------------------------------------------------------------
# Markdown


def test_front_matter_split_and_body_lines() -> None:
    doc = markdown.parse("---\na: 1\n...\n# Title\n")
    assert doc.front_state is markdown.FrontMatterState.OK
    assert doc.front_text == "a: 1\n"
    assert doc.front_end == 3
    assert [(h.text, h.line) for h in doc.headings] == [("Title", 4)]


def test_front_matter_with_bom_and_crlf() -> None:
    doc = markdown.parse("\ufeff---\r\na: 1\r\n---\r\n## H\r\n")
    assert doc.front_state is markdown.FrontMatterState.OK
    assert [(h.text, h.level, h.line) for h in doc.headings] == [("H", 2, 4)]


def test_no_front_matter() -> None:
    assert markdown.parse("# x\n").front_state is markdown.FrontMatterState.MISSING
    assert markdown.parse("---").front_state is markdown.FrontMatterState.MISSING
    assert markdown.parse("---\na: 1\n").front_state is markdown.FrontMatterState.UNCLOSED


def test_headings_atx_setext_and_what_is_not_a_heading() -> None:
    text = """# One #
#NotAHeading
    # indented code
Two
===
- item
---
Three
---

---
~~~
# in fence
~~~
```js
# also fenced
~~~
still fenced
````
###### Six ######
####### seven hashes
#
"""
    doc = markdown.parse(text)
    assert [(h.text, h.level, h.line) for h in doc.headings] == [
        ("One", 1, 1),
        ("Two", 1, 4),
        ("Three", 2, 8),
        ("Six", 6, 20),
        ("", 1, 22),
    ]


def test_links_skip_code_comments_and_keep_columns() -> None:
    text = """a [x](one.md) `[y](two.md)` ![i](<p q.png> "t") [n [nested]](three.md#a)
``[z](four.md)`` [w](five.md (title))
<!-- [c](six.md) -->
<!--
[d](seven.md)
-->
[e](eight.md) [ref]: not-a-def.md
  [def]: nine.md "title"
<a href="ten.md">t</a> <img src='eleven.png'> <a id="Anchor-X"></a>
[![badge](b.svg)](twelve.md) \\[not](a-link.md)
"""
    doc = markdown.parse(text)
    got = [(link.target, link.line, link.column, link.image) for link in doc.links]
    assert got == [
        ("one.md", 1, 3, False),
        ("<p q.png>", 1, 29, True),
        ("three.md#a", 1, 49, False),
        ("five.md", 2, 18, False),
        ("eight.md", 7, 1, False),
        ("nine.md", 8, 10, False),
        ("ten.md", 9, 1, False),
        ("eleven.png", 9, 24, True),
        ("b.svg", 10, 2, True),
        ("twelve.md", 10, 1, False),
    ]
    assert "anchor-x" in doc.anchors


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello World", "hello-world"),
        ("Context and Problem Statement", "context-and-problem-statement"),
        ("What's `new`? (v2.0)", "whats-new-v20"),
        ("  Spaces  ", "spaces"),
        ("snake_case stays", "snake_case-stays"),
        ("*Emphasis* and _under_", "emphasis-and-under"),
        ("[Link text](http://x)", "link-text"),
        ("Ünïcödé Straße", "ünïcödé-straße"),
        ("A -- B", "a----b"),
        ("<em>Tag</em>", "tag"),
        ("Q&amp;A", "qa"),
        ("The `--base` option", "the---base-option"),
        ("`SetDifference<A, B>` (same as Exclude)", "setdifferencea-b-same-as-exclude"),
        ("`snake_case` and `a &amp; b`", "snake_case-and-a-amp-b"),
    ],
)
def test_github_slugs(text: str, slug: str) -> None:
    assert markdown.slug(text) == slug


def test_anchors_only_scan_keeps_html_anchors() -> None:
    text = '## <a name="top"></a>Title\n[x](y.md) <a id="z"></a>\n[w](v.md)\n'
    full = markdown.parse(text)
    light = markdown.parse(text, with_links=False)
    assert light.anchors == full.anchors == {"title", "top", "z"}
    assert [link.target for link in full.links] == ["y.md", "v.md"]
    assert "v.md" not in [link.target for link in light.links]


def test_fences_inside_list_items_hide_code() -> None:
    text = "1. Run:\n\n      ```python\n      handlers[name](event)\n      ```\n\n   [real](x.md)\n"
    doc = markdown.parse(text)
    assert [(link.target, link.line) for link in doc.links] == [("x.md", 7)]


def test_footnotes_are_not_links() -> None:
    doc = markdown.parse("Text[^1].\n\n[^1]: a footnote, not-a-file.md\n[r]: real.md\n")
    assert [link.target for link in doc.links] == ["real.md"]


def test_duplicate_slugs_get_numbered_like_github() -> None:
    assert markdown.slugs(["Notes", "Notes", "Notes-1", "Notes"]) == [
        "notes",
        "notes-1",
        "notes-1-1",
        "notes-2",
    ]


def test_heading_normalisation() -> None:
    assert markdown.normalise_heading("  Decision   *Outcome*: ") == "decision outcome"
    assert markdown.normalise_heading("`Design`") == "design"


# ---------------------------------------------------------------------------
# Positions


def test_json_positions() -> None:
    text = '{\n  "a": {"b": [1, {"c": null}]},\n  "d\\"e": "x",\n  "f": [], "g": {}\n}'
    positions = json_positions(text)
    assert positions.find(("a",)).line == 2
    assert positions.find(("a", "b", 1, "c")).line == 2
    assert positions.find(("a", "b", 1, "c")).column == 19
    assert positions.find(('d"e',)).line == 3
    assert positions.find(("g",)).line == 4
    assert positions.find(("g", "missing")).line == 4  # falls back to the closest parent
    assert positions.find(()).line == 1


def test_toml_positions() -> None:
    text = """title = "x"
"quoted.key" = 1
a.b = 2
[tool.qualgate]  # comment
name = '''
multi = 3
'''
[[servers]]
host = "a"
[[servers]]
host = "b"
[servers.tls]
cert = "c"
"""
    positions = toml_positions(text)
    assert positions.find(("title",)).line == 1
    assert positions.find(("quoted.key",)).line == 2
    assert positions.find(("a", "b")).line == 3
    assert positions.find(("tool", "qualgate", "name")).line == 5
    assert positions.find(("tool", "qualgate", "multi")).line == 4  # inside a string
    assert positions.find(("servers", 0, "host")).line == 9
    assert positions.find(("servers", 1, "host")).line == 11
    assert positions.find(("servers", 1, "tls", "cert")).line == 13


def test_toml_error_position_falls_back_to_line_one() -> None:
    assert toml_error_position(ValueError("no position")).line == 1


# ---------------------------------------------------------------------------
# Globs


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("config/*.yaml", "config/a.yaml", True),
        ("config/*.yaml", "config/x/a.yaml", False),
        ("**/*.json", "a.json", True),
        ("**/*.json", "x/y/a.json", True),
        ("docs/**", "docs/a/b.md", True),
        ("a?.toml", "ab.toml", True),
        ("[!x]*.md", "y.md", True),
        ("[!x]*.md", "x.md", False),
        ("[ab].md", "c.md", False),
        ("weird[.md", "weird[.md", True),
        ("a/**/b/*.json", "a/b/c.json", True),
        ("a/**/b/*.json", "a/x/y/b/c.json", True),
        ("a/**/b/*.json", "a/x/y/c.json", False),
        ("**/README.md", "README.md", True),
        ("**/README.md", "x/README.md.bak", False),
        ("a**.md", "ab.md", True),  # `**` inside a segment is a `*`
        ("a**.md", "a/b.md", False),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    assert Glob(pattern).match(path) is matches


# ---------------------------------------------------------------------------
# Fast YAML: equal to jsonable(yaml.load(...)) or declined

YAML_SAMPLES = [
    "title: Hello world\nstatus: draft\n",
    "authors: [alice, bob]\ndate: 2024-01-02\n",
    "authors:\n  - alice\n  - bob\nid: 12\n",
    "authors:\n- alice\n- bob\n",
    "a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: ~\ng: null\nh:\n",
    "a: 0\nb: -12\nc: +3\nd: 012\ne: 0x1F\nf: 1_000\ng: 1.5\nh: .inf\n",
    "a: '2024-01-02'\nb: \"quoted\"\nc: 'it''s'\nd: \"esc\\n\"\n",
    "a: 2024-13-45\n",
    "a: 2024-01-02 10:00:00\n",
    "a: x: y\n",
    "a: x #comment\n",
    "a: C#\nb: http://x.y/z\nc: foo:bar\n",
    "nested:\n  key: value\n",
    "a: [x, [y]]\n",
    "a: []\nb: [x,]\nc: [ 1, two , yes ]\n",
    "a: {x: 1}\n",
    "a: |\n  text\n",
    "a: &anchor x\nb: *anchor\n",
    "a: !!str 12\n",
    "yes: key\n",
    "a: 1\na: 2\n",
    "# comment\n\ntitle: x\n",
    "title: x\n  continued\n",
    "list:\n  - a\n    - b\n",
    "list:\n  - a\n  -\n",
    "list:\n  - key: v\n",
    "list:\n  - [x]\n",
    "a: -5\nb: =\nc: <<\n",
    "a:  spaced out  \n",
    "a: 'unterminated\n",
    'a: "x" y\n',
    'a: ["q"]\n',
    "a: ''\nb: \"\"\n",
    "title: Ünïcödé — dash\n",
    "a: [x: y]\n",
    "a:\tb\n",
    "status: superseded by ADR-0002\n",
    "a: x,y\nb: 1e3\nc: 1:20\nd: 50%\ne: .\nf: -\ng: ?x\n",
    "a: 1.0\nb: 2024-01-02T10:00:00Z\nc: 0\nd: +0\ne: -0\n",
    "a:\n\n  - b\n",
    "a:\n  - b\n\n  - c\n",
    "decision-makers: [a, b]\nconsulted:\ninformed: []\n",
    "a: Yes\nb: yES\nc: NULL\nd: Null\ne: nULL\n",
]


@pytest.mark.parametrize("text", YAML_SAMPLES)
def test_simple_yaml_agrees_with_pyyaml(text: str) -> None:
    fast = fastyaml.simple_yaml(text)
    if fast is None:
        return  # declined: the caller uses PyYAML
    expected = jsonable(yaml.load(text, Loader=yaml.CSafeLoader)) or {}
    assert fast == expected
    assert [type(v) for v in fast.values()] == [type(v) for v in expected.values()]


def test_simple_yaml_takes_the_common_front_matter() -> None:
    for text in [*YAML_SAMPLES[:5], "a: C#\nb: http://x.y/z\nc: foo:bar\n"]:
        assert fastyaml.simple_yaml(text) is not None, text


# ---------------------------------------------------------------------------
# Fast schema check: equal to jsonschema's is_valid, or no predicate

SCHEMAS: list[Any] = [
    *(json.loads(t.schema_path.read_text()) for t in BUILTIN.values()),
    {"type": "integer", "minimum": 1, "exclusiveMaximum": 10},
    {"type": ["string", "null"], "minLength": 2, "maxLength": 3, "pattern": "^a"},
    {"enum": [1, "a", None, [1, 2], {"k": True}]},
    {"const": False},
    {"const": {"a": [1, 2]}},
    {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 2},
    {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
    {"allOf": [{"minimum": 0}, {"maximum": 5}], "not": {"const": 3}},
    {
        "type": "object",
        "properties": {"a": {"type": "boolean"}},
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 2,
    },
    {"additionalProperties": {"type": "integer"}},
    {"exclusiveMinimum": 0, "format": "email", "$defs": {"x": {}}},
    True,
    False,
]
INSTANCES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    3,
    2.5,
    10,
    -1,
    "",
    "a",
    "ab",
    "abcd",
    "b",
    [],
    [1],
    [1, 2],
    [1, 2, 3],
    ["x"],
    {},
    {"a": True},
    {"a": 1},
    {"x-y": "s"},
    {"x-y": 1},
    {"k": True},
    {"k": 1},
    {"a": [1, 2]},
    {"title": "t", "status": "draft", "authors": ["a"], "date": "2024-01-01"},
    {"title": "t", "status": "superseded by X", "date": "2024-01-01"},
    {"title": "t", "status": "accepted", "date": "2024-01-01", "type": "rfc"},
    {"id": 1, "title": "t", "status": "done"},
    {"id": "", "title": "t", "status": "done"},
    {"id": True, "title": "t", "status": "done"},
    {"title": "t", "status": "draft", "authors": [], "date": "2024-1-1"},
]


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_compiled_check_agrees_with_jsonschema(index: int) -> None:
    schema = SCHEMAS[index]
    check = fastschema.compile_check(schema)
    assert check is not None, "these schemas use only supported keywords"
    validator = jsonschema.Draft202012Validator(schema)
    for instance in INSTANCES:
        assert check(instance) == validator.is_valid(instance), (schema, instance)


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/$defs/x"},
        {"if": {"type": "string"}, "then": {"minLength": 1}},
        {"items": [{"type": "string"}]},
        {"prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
        {"$schema": "http://json-schema.org/draft-04/schema#", "type": "string"},
        {"type": "object", "properties": {"a": {"unevaluatedProperties": False}}},
        {"pattern": "("},
        {"minimum": "one"},
        {"type": "strange"},
        [1],
    ],
)
def test_compiled_check_declines_what_it_does_not_know(schema: Any) -> None:
    assert fastschema.compile_check(schema) is None


def test_equal_follows_jsonschema() -> None:
    assert fastschema.equal(1, 1.0)
    assert not fastschema.equal(1, True)
    assert not fastschema.equal(0, False)
    assert fastschema.equal({"a": [1]}, {"a": [1.0]})
    assert not fastschema.equal([1], [1, 2])
    assert not fastschema.equal({"a": 1}, [1])


def test_describe_types_lists_every_builtin() -> None:
    text = describe_types()
    assert text.count("  headings:") == 3
    assert "status (proposed|accepted|rejected|deprecated|superseded|...)" in text


def test_check_files_stops_at_the_deadline(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts" / "tasks"
    folder.mkdir(parents=True)
    files = []
    for n in range(300):
        path = folder / f"{n}.md"
        path.write_text("---\nid: 1\n---\n")
        files.append(str(path))
    types = TypeSet(resolve_types(None, tmp_path), tmp_path)
    with pytest.raises(GateError, match="timed out after checking 256 Markdown files"):
        check_files(
            files,
            root=tmp_path,
            artifacts_dir=tmp_path / "artifacts",
            types=types,
            relpath=str,
            deadline=0.0,
        )
