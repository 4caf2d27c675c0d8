"""Property tests (hypothesis) on every parser artifact-validate owns: front matter, the fast
YAML path (pinned to PyYAML), the Markdown scanner and its linear rewrites (pinned to the
patterns they replace), links, and globs (pinned to a brute-force matcher)."""

from __future__ import annotations

import fnmatch
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualgate.gates.artifact_validate import fastyaml, inline, markdown
from qualgate.gates.artifact_validate.globs import Glob
from qualgate.gates.artifact_validate.schemas import jsonable
from qualgate.yamlsafe import YamlTooLarge

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- the fast YAML path: equal to PyYAML, or it declines ----------------------------------

YAML_PIECES = st.sampled_from(
    [
        "a",
        "key",
        "title",
        ":",
        ": ",
        " ",
        "  ",
        "\n",
        "- ",
        "-",
        "#",
        " #",
        "[",
        "]",
        ", ",
        "'",
        '"',
        "yes",
        "No",
        "~",
        "null",
        "0",
        "012",
        "1.5",
        "2024-01-02",
        "2024-13-45",
        "\t",
        "\x01",
        "\x7f",
        "\r",
        "\x85",
        "\u2028",
        "\ufeff",
        "\u00a0",
        "é",
        "&x ",
        "*x",
        "!!str ",
        "{",
        "}",
        "|",
        ">",
        "?",
        "%",
        "@",
        "`",
    ]
)
YAML_TEXT = st.lists(YAML_PIECES, max_size=24).map("".join)


@SETTINGS
@given(YAML_TEXT)
def test_fast_yaml_is_pyyaml_or_declines(text: str) -> None:
    fast = fastyaml.simple_yaml(text)
    if fast is None:
        return
    try:
        expected = yaml.load(text, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise AssertionError(f"fast path read {text!r} that PyYAML rejects: {exc}") from exc
    expected = jsonable(expected) or {}
    assert fast == expected
    assert [type(v) for v in fast.values()] == [type(v) for v in expected.values()]


# -- front matter and the Markdown scanner ------------------------------------------------

MD_PIECES = st.sampled_from(
    [
        "---\n",
        "...\n",
        "\n",
        "# ",
        "## ",
        "#",
        " ",
        "\t",
        "text",
        "[a]",
        "(b.md)",
        "](",
        ")",
        "[",
        "]",
        "(",
        "![i]",
        '<a href="x.md">',
        "<a name='n'>",
        "<img src=x>",
        "<",
        ">",
        "<!--",
        "-->",
        "```\n",
        "~~~\n",
        "`",
        "``",
        "===\n",
        "---",
        "[r]: t.md\n",
        "\\",
        '"t"',
        "'",
        "_",
        "*",
        "é",
        "\r\n",
    ]
)
MD_TEXT = st.lists(MD_PIECES, max_size=40).map("".join)


@SETTINGS
@given(MD_TEXT)
def test_markdown_scan_locates_everything_inside_the_text(text: str) -> None:
    doc = markdown.parse(text)
    lines = text.replace("\r\n", "\n").split("\n")
    for link in doc.links:
        assert 1 <= link.line <= len(lines)
        assert 1 <= link.column <= len(lines[link.line - 1]) + 1
        assert lines[link.line - 1][link.column - 1] in "[!<" or link.target
    for heading in doc.headings:
        assert 1 <= heading.line <= len(lines)
    _ = doc.anchors  # slugs never fail


@SETTINGS
@given(MD_TEXT, MD_TEXT)
def test_front_matter_is_exactly_the_text_between_the_delimiters(front: str, body: str) -> None:
    text = f"---\n{front.replace('---', '').replace('...', '')}\n---\n{body}"
    state, yaml_text, closing, _body_at = markdown.split_front_matter(text)
    assert state is markdown.FrontMatterState.OK
    assert text.split("\n")[closing - 1].rstrip() in ("---", "...")
    assert yaml_text == "\n".join(text.split("\n")[1 : closing - 1]) + ("\n" if closing > 2 else "")


# The patterns the linear rewrites replace, kept here as their specification.
OLD_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
OLD_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+$")
OLD_COMMENT = re.compile(r"<!--.*?-->")
OLD_TAG = re.compile(r"<[^>]+>")


@SETTINGS
@given(st.text(alphabet="# \ta\\x", max_size=16))
def test_atx_headings_agree_with_the_regex(raw: str) -> None:
    old = OLD_ATX.match(raw)
    new = markdown._atx(raw)
    if old is None:
        assert new is None
    else:
        title = OLD_ATX_CLOSE.sub("", old.group(2) or "").strip()
        assert new == (len(old.group(1)), title)


@SETTINGS
@given(st.text(alphabet="<!->a ", max_size=20))
def test_comment_blanking_agrees_with_the_regex(raw: str) -> None:
    expected = OLD_COMMENT.sub(lambda m: " " * len(m.group(0)), raw)
    start = expected.find("<!--")
    opened = start >= 0
    if opened:
        expected = expected[:start]
    assert markdown._blank_comments(raw) == (expected, opened)


@SETTINGS
@given(st.text(alphabet="<>a b", max_size=20))
def test_tag_stripping_agrees_with_the_regex(text: str) -> None:
    assert markdown._strip_tags(text) == OLD_TAG.sub("", text)


def _old_opening(line: str, close: int) -> int:
    depth = 0
    for index in range(close - 1, -1, -1):
        char = line[index]
        if index > 0 and line[index - 1] == "\\":
            continue
        if char == "]":
            depth += 1
        elif char == "[":
            if depth == 0:
                return index
            depth -= 1
    return -1


@SETTINGS
@given(st.text(alphabet="[]\\a(", max_size=20))
def test_link_openers_agree_with_the_backward_scan(line: str) -> None:
    openers = inline._openers(line)
    for index, char in enumerate(line):
        if char == "]" and not (index > 0 and line[index - 1] == "\\"):
            assert openers[index] == _old_opening(line, index), (line, index)


OLD_HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
OLD_HTML_ANCHOR = re.compile(r"<a\b[^>]*?\b(?:name|id)\s*=\s*(?:\"([^\"]+)\"|'([^']+)')", re.I)
HTML = st.sampled_from(
    ["<a ", "<img ", "<A ", "href=", "src=", "name=", "id=", '"x"', "'y'", '"', "'", ">", " ", "a"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(HTML, max_size=14))
def test_html_links_and_anchors_agree_with_the_regexes(parts: list[str]) -> None:
    line = "".join(parts)
    links: list[inline.Link] = []
    anchors: list[str] = []
    inline.scan_links(line, 1, links, anchors)
    assert [(link.target, link.column) for link in links] == [
        (m.group(1)[1:-1], m.start() + 1) for m in OLD_HTML_LINK.finditer(line)
    ]
    assert anchors == [m.group(1) or m.group(2) for m in OLD_HTML_ANCHOR.finditer(line)]


# -- globs ---------------------------------------------------------------------------------


def _reference(segments: list[str], names: list[str]) -> bool:
    """Brute force: `**` takes any number of folders, other segments one each."""
    if not segments:
        return not names
    head, rest = segments[0], segments[1:]
    if head == "**":
        return any(_reference(rest, names[i:]) for i in range(len(names) + 1))
    return (
        bool(names)
        and fnmatch.fnmatchcase(names[0], head.replace("**", "*"))
        and (_reference(rest, names[1:]))
    )


SEGMENT = st.sampled_from(["a", "b", "*", "?", "**", "a*", "[ab]", "[!a]", "*.md", "x.md"])
NAME = st.sampled_from(["a", "b", "ab", "x.md", "a.md", "c"])


@SETTINGS
@given(st.lists(SEGMENT, min_size=1, max_size=6), st.lists(NAME, min_size=1, max_size=6))
def test_globs_agree_with_a_brute_force_matcher(segments: list[str], names: list[str]) -> None:
    collapsed: list[str] = []
    for s in segments:
        if not (s == "**" and collapsed and collapsed[-1] == "**"):
            collapsed.append(s)
    assert Glob("/".join(segments)).match("/".join(names)) is _reference(collapsed, names)


def test_yaml_bombs_are_refused_by_the_loader_the_gate_uses() -> None:
    from qualgate.yamlsafe import safe_load

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n"
        for i in range(9)
    )
    try:
        safe_load(bomb)
    except YamlTooLarge:
        return
    raise AssertionError("an alias bomb was expanded")
