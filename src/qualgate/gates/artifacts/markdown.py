"""A one-pass Markdown scanner: front matter, headings, links and anchors, with line numbers.

Not a full CommonMark parser (that would cost more than everything else the gate does on
10,000 files): one pass over the lines with a few regexes. It knows what matters for the
checks: fenced code blocks and inline code spans hold no links or headings, HTML comments
are skipped, ATX (``## Title``) and setext (``Title`` over ``-----``) headings both count,
and anchors are GitHub's slugs (``## Foo bar`` -> ``#foo-bar``, duplicates ``-1``, ``-2``).
Known limits: indented (4-space) code blocks are read as text, and a setext heading takes
only the line just above its underline.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_NOT_PARAGRAPH = re.compile(r"^(?: {4}|\t| {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|\||<|#))")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LINK_TARGET = re.compile(
    r"\]\(\s*(<[^>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REF_DEF = re.compile(r"^ {0,3}\[((?:[^\]\\]|\\.)+)\]:[ \t]*(<[^>]*>|\S+)")
_HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
_HTML_ANCHOR = re.compile(r"<a\b[^>]*?\b(?:name|id)\s*=\s*(?:\"([^\"]+)\"|'([^']+)')", re.I)
_COMMENT = re.compile(r"<!--.*?-->")
# GitHub's slugger drops everything but letters, digits, marks, '_', '-' and spaces.
_SLUG_DROP = re.compile(r"[^\w\- ]")
_INLINE_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")


class FrontMatterState(enum.Enum):
    OK = "ok"
    MISSING = "missing"
    UNCLOSED = "unclosed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Heading:
    text: str
    level: int
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Link:
    target: str
    line: int
    column: int
    image: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Document:
    """What the checks need from one Markdown file."""

    front_state: FrontMatterState
    front_text: str  # the YAML between the delimiters ("" when missing)
    front_end: int  # 1-based line of the closing delimiter (0 when none)
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    anchors: frozenset[str]


def split_front_matter(lines: list[str]) -> tuple[FrontMatterState, str, int]:
    """The YAML front matter: ``---`` on line 1 up to the next ``---`` (or ``...``) line."""
    if not lines or lines[0].rstrip() != "---":
        return FrontMatterState.MISSING, "", 0
    for index in range(1, len(lines)):
        stripped = lines[index].rstrip()
        if stripped == "---" or stripped == "...":
            return FrontMatterState.OK, "\n".join(lines[1:index]) + "\n", index + 1
    return FrontMatterState.UNCLOSED, "", 0


def parse(text: str) -> Document:
    """Scan a Markdown text (its front matter, then the body)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    state, front_text, front_end = split_front_matter(lines)
    headings: list[Heading] = []
    links: list[Link] = []
    html_anchors: list[str] = []
    fence: str | None = None
    in_comment = False
    previous_text: tuple[int, str] | None = None  # a paragraph line a setext underline may claim
    for index in range(front_end, len(lines)):
        raw = lines[index].rstrip("\r")
        number = index + 1
        if fence is not None:
            stripped = raw.lstrip(" ")
            if stripped.startswith(fence) and not stripped[len(fence) :].strip(fence[0] + " \t"):
                fence = None
            continue
        if in_comment:
            end = raw.find("-->")
            if end < 0:
                continue
            raw = " " * (end + 3) + raw[end + 3 :]
            in_comment = False
        fence_match = _FENCE.match(raw)
        if fence_match:
            marker = fence_match.group(1)
            # A backtick fence's info string may not contain backticks.
            if marker[0] == "~" or "`" not in raw[fence_match.end() :]:
                fence = marker
                previous_text = None
                continue
        if "<!--" in raw:
            raw = _COMMENT.sub(lambda m: " " * len(m.group(0)), raw)
            start = raw.find("<!--")
            if start >= 0:
                raw = raw[:start]
                in_comment = True
        if not raw.strip():
            previous_text = None
            continue
        if "#" in raw:
            atx = _ATX.match(raw)
            if atx:
                title = _ATX_CLOSE.sub("", atx.group(2) or "").strip()
                headings.append(Heading(text=title, level=len(atx.group(1)), line=number))
                previous_text = None
                _scan_links(raw, number, links, html_anchors)
                continue
        if previous_text is not None and (raw[-1] == "=" or raw[-1] == "-") and _SETEXT.match(raw):
            level = 1 if raw.strip()[0] == "=" else 2
            headings.append(
                Heading(text=previous_text[1].strip(), level=level, line=previous_text[0])
            )
            previous_text = None
            continue
        previous_text = None if _NOT_PARAGRAPH.match(raw) else (number, raw)
        _scan_links(raw, number, links, html_anchors)
    return Document(
        front_state=state,
        front_text=front_text,
        front_end=front_end,
        headings=tuple(headings),
        links=tuple(links),
        anchors=frozenset(slugs(h.text for h in headings)) | {a.lower() for a in html_anchors},
    )


def _scan_links(raw: str, number: int, links: list[Link], anchors: list[str]) -> None:
    has_bracket = "](" in raw or "]:" in raw
    has_html = "<" in raw
    if not has_bracket and not has_html:
        return
    line = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), raw) if "`" in raw else raw
    if "](" in line:
        for match in _LINK_TARGET.finditer(line):
            target = match.group(1)
            opening = _opening_bracket(line, match.start())
            if opening < 0:
                continue
            image = opening > 0 and line[opening - 1] == "!"
            start = opening - 1 if image else opening
            links.append(Link(target=target, line=number, column=start + 1, image=image))
    if "]:" in line:
        ref = _REF_DEF.match(line)
        if ref:
            links.append(Link(target=ref.group(2), line=number, column=ref.start(2) + 1))
    if has_html:
        for match in _HTML_LINK.finditer(line):
            value = match.group(1)[1:-1]
            image = match.group(0)[1:4].lower() == "img"
            links.append(Link(target=value, line=number, column=match.start() + 1, image=image))
        for match in _HTML_ANCHOR.finditer(line):
            anchors.append(match.group(1) or match.group(2))


def _opening_bracket(line: str, close: int) -> int:
    """Index of the ``[`` that the ``]`` at ``close`` closes (-1 when there is none)."""
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


def slug(text: str) -> str:
    """GitHub's anchor for a heading text (before de-duplication)."""
    plain = _INLINE_LINK.sub(r"\1", text)
    if "<" in plain:
        plain = _TAG.sub("", plain)
    if "_" in plain:
        plain = _EMPHASIS_UNDERSCORE.sub("", plain)
    return _SLUG_DROP.sub("", plain.strip().lower()).replace(" ", "-")


def slugs(texts: Iterable[str]) -> list[str]:
    """Slugs of headings in document order, de-duplicated the way github-slugger does."""
    occurrences: dict[str, int] = {}
    out = []
    for text in texts:
        base = slug(text)
        result = base
        while result in occurrences:
            occurrences[base] += 1
            result = f"{base}-{occurrences[base]}"
        occurrences[result] = 0
        out.append(result)
    return out


def normalise_heading(text: str) -> str:
    """How required headings are compared: case-insensitive, inline markup and spacing folded."""
    plain = _INLINE_LINK.sub(r"\1", text)
    plain = plain.replace("`", "").replace("*", "")
    if "_" in plain:
        plain = _EMPHASIS_UNDERSCORE.sub("", plain)
    return " ".join(plain.split()).rstrip(":").casefold()
