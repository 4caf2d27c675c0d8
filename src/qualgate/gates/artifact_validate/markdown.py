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
import functools
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Fences at any indentation: inside list items they sit deeper than CommonMark's 3 spaces,
# and code in them (`handlers[name](event)`) must not be read as links.
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_NOT_PARAGRAPH = re.compile(r"^(?: {4}|\t| {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|\||<|#))")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LINK_TARGET = re.compile(
    r"\]\(\s*(<[^>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
)
# A reference definition; `[^1]: text` is a footnote, not a link.
_REF_DEF = re.compile(r"^ {0,3}\[(?!\^)((?:[^\]\\]|\\.)+)\]:[ \t]*(<[^>]*>|\S+)")
# HTML tags are found one after the other (`_html_values`), never by a pattern that rescans
# the rest of the line from every `<a` (quadratic on "<a " * 40000).
_HTML_TAG = re.compile(r"<(a|img)\b", re.I)
_HTML_A = re.compile(r"<(a)\b", re.I)
_HTML_LINK = re.compile(r"\b(?:href|src)\s*=\s*(?=[\"'])", re.I)
_HTML_ANCHOR = re.compile(r"\b(?:name|id)\s*=\s*(?=[\"'])", re.I)
_BRACKET = re.compile(r"[\[\]]")
# GitHub's slugger drops everything but letters, digits, marks, '_', '-' and spaces.
_SLUG_DROP = re.compile(r"[^\w\- ]")
_INLINE_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)")
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
    html_anchors: tuple[str, ...] = ()

    @property
    def anchors(self) -> frozenset[str]:
        """The ``#fragment``s this file answers to (lower-case)."""
        # Computed on demand: most files are never the target of an anchor link.
        return frozenset(slugs(h.text for h in self.headings)) | {
            a.lower() for a in self.html_anchors
        }


_FRONT_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)


def split_front_matter(text: str) -> tuple[FrontMatterState, str, int, int]:
    """The YAML front matter: ``---`` on line 1 up to the next ``---`` (or ``...``) line.

    Returns the state, the YAML text, the closing line's number and the body's offset.
    """
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if first.rstrip() != "---" or first_end < 0:
        return FrontMatterState.MISSING, "", 0, 0
    close = _FRONT_CLOSE.search(text, first_end + 1)
    if close is None:
        return FrontMatterState.UNCLOSED, "", 0, 0
    yaml_text = text[first_end + 1 : close.start()]
    closing_line = text.count("\n", 0, close.start()) + 1
    body = text.find("\n", close.end())
    return FrontMatterState.OK, yaml_text, closing_line, len(text) if body < 0 else body + 1


def parse(text: str, *, with_links: bool = True) -> Document:
    """Scan a Markdown text (its front matter, then the body).

    ``with_links=False`` skips link extraction, for files read only for their anchors.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    state, front_text, front_end, body = split_front_matter(text)
    headings: list[Heading] = []
    links: list[Link] = []
    html_anchors: list[str] = []
    fence: str | None = None
    in_comment = False
    consumed = 0  # number of the last line that cannot be a setext heading's text
    # Line numbers are counted incrementally from the body's first line.
    position, position_line = body, front_end + 1
    for match in _INTERESTING.finditer(text, body):
        line_start = match.start()
        number = position_line + text.count("\n", position, line_start)
        position, position_line = line_start, number
        raw = match.group(0)
        if fence is not None:
            stripped = raw.lstrip(" \t")
            if stripped.startswith(fence) and not stripped[len(fence) :].strip(fence[0] + " \t"):
                fence = None
            consumed = number
            continue
        if in_comment:
            end = raw.find("-->")
            if end < 0:
                consumed = number
                continue
            raw = " " * (end + 3) + raw[end + 3 :]
            in_comment = False
        fence_match = _FENCE.match(raw)
        if fence_match:
            marker = fence_match.group(1)
            # A backtick fence's info string may not contain backticks.
            if marker[0] == "~" or "`" not in raw[fence_match.end() :]:
                fence = marker
                consumed = number
                continue
        if "<!--" in raw:
            raw, in_comment = _blank_comments(raw)
        if not raw.strip():
            continue
        if "#" in raw:
            atx = _atx(raw)
            if atx is not None:
                headings.append(Heading(text=atx[1], level=atx[0], line=number))
                consumed = number
                if with_links or "<a" in raw:
                    _scan_links(raw, number, links, html_anchors)
                continue
        if (raw[-1] == "=" or raw[-1] == "-") and line_start > body and _SETEXT.match(raw):
            above_start = text.rfind("\n", 0, line_start - 1) + 1
            above = text[above_start : line_start - 1]
            if number - 1 > consumed and above_start >= body and _is_paragraph(above):
                level = 1 if raw.strip()[0] == "=" else 2
                headings.append(Heading(text=above.strip(), level=level, line=number - 1))
                consumed = number
                continue
        if with_links or "<a" in raw:
            _scan_links(raw, number, links, html_anchors)
    return Document(
        front_state=state,
        front_text=front_text,
        front_end=front_end,
        headings=tuple(headings),
        links=tuple(links),
        html_anchors=tuple(html_anchors),
    )


# Whole lines that may hold a fence, heading, setext underline, comment, link or anchor.
_INTERESTING = re.compile(
    r"^(?:[ \t]*(?:`{3}|~{3}).*| {0,3}#.*| {0,3}(?:-+|=+)[ \t]*|.*?(?:\]\(|\]:|<|-->).*)$",
    re.M,
)


def _atx(raw: str) -> tuple[int, str] | None:
    """(level, title) of an ATX heading line (``## Title ##``), else None.

    A scan: the regex ``^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?[ \\t]*$`` backtracks quadratically
    on a title followed by a long run of spaces.
    """
    start = len(raw) - len(raw.lstrip(" "))
    if start > 3:
        return None
    end = start
    while end < len(raw) and raw[end] == "#":
        end += 1
    level = end - start
    if not 1 <= level <= 6 or (end < len(raw) and raw[end] not in " \t"):
        return None
    title = raw[end:].strip(" \t")
    closed = title.rstrip("#")  # a closing sequence: `#`s alone or after a space
    if closed != title and (not closed or closed[-1] in " \t"):
        title = closed
    return level, title.strip()


def _blank_comments(raw: str) -> tuple[str, bool]:
    """``raw`` with its ``<!-- -->`` comments blanked (columns kept) and cut at a comment
    left open, and whether one is (one pass: no rescan from every ``<!--``)."""
    parts = []
    position = 0
    while True:
        start = raw.find("<!--", position)
        if start < 0:
            parts.append(raw[position:])
            return "".join(parts), False
        end = raw.find("-->", start + 4)
        parts.append(raw[position:start])
        if end < 0:
            return "".join(parts), True
        parts.append(" " * (end + 3 - start))
        position = end + 3


class _Next:
    """``line.find(char, start)`` for starts that only grow: each answer is remembered, so
    a run of queries costs one pass over the line (not one pass per query)."""

    __slots__ = ("answers", "line")

    def __init__(self, line: str) -> None:
        self.line = line
        self.answers: dict[str, tuple[int, int]] = {}  # char -> (asked from, found at)

    def find(self, char: str, start: int) -> int:
        asked, found = self.answers.get(char, (-1, -2))
        if asked <= start and (found >= start or found == -1):
            return found
        found = self.line.find(char, start)
        self.answers[char] = (start, found)
        return found


def _html_values(
    line: str, tag: re.Pattern[str], attribute: re.Pattern[str], following: _Next
) -> list[tuple[int, str, str]]:
    """(tag start, tag name, value) of each quoted ``attribute`` of a ``tag`` on the line.

    What ``<tag\\b[^>]*?\\battr\\s*=\\s*("[^"]*"|'[^']*')`` finds with ``finditer``, in one
    pass: the attribute is looked for up to the tag's ``>`` (or the line's end), its value
    may run past it, and the search goes on after the value, or after the tag's ``>``.
    """
    out: list[tuple[int, str, str]] = []
    position = 0
    while True:
        match = tag.search(line, position)
        if match is None:
            return out
        close = following.find(">", match.end())
        end = len(line) if close < 0 else close
        at = match.end()
        value_end = -1
        while True:
            found = attribute.search(line, at, end)
            if found is None:
                break
            quote = line[found.end()]
            closing = following.find(quote, found.end() + 1)
            if closing >= 0:
                out.append((match.start(), match.group(1).lower(), line[found.end() + 1 : closing]))
                value_end = closing + 1
                break
            at = found.end()  # unterminated: a later attribute of the tag may still count
        if value_end >= 0:
            position = value_end
        elif close < 0:
            return out
        else:
            position = close + 1


def _openers(line: str) -> dict[int, int]:
    """For each ``]``, the index of the ``[`` it closes (-1: none); one pass with a stack.

    A backslash-escaped bracket does not count. Equal to scanning back from each ``]``,
    which costs the whole line per link (quadratic on ``"](x)" * 30000``).
    """
    stack: list[int] = []
    out: dict[int, int] = {}
    for match in _BRACKET.finditer(line):
        index = match.start()
        if index > 0 and line[index - 1] == "\\":
            continue
        if line[index] == "[":
            stack.append(index)
        else:
            out[index] = stack.pop() if stack else -1
    return out


def _is_paragraph(line: str) -> bool:
    return bool(line.strip()) and not _NOT_PARAGRAPH.match(line)


def _scan_links(raw: str, number: int, links: list[Link], anchors: list[str]) -> None:
    has_bracket = "](" in raw or "]:" in raw
    has_html = "<" in raw
    if not has_bracket and not has_html:
        return
    line = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), raw) if "`" in raw else raw
    if "](" in line:
        openers = _openers(line)
        for match in _LINK_TARGET.finditer(line):
            target = match.group(1)
            opening = openers.get(match.start(), -1)
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
        following = _Next(line)
        for start, name, value in _html_values(line, _HTML_TAG, _HTML_LINK, following):
            links.append(Link(target=value, line=number, column=start + 1, image=name == "img"))
        for _start, _name, value in _html_values(line, _HTML_A, _HTML_ANCHOR, _Next(line)):
            if value:
                anchors.append(value)


def slug(text: str) -> str:
    """GitHub's anchor for a heading text (before de-duplication)."""
    return _SLUG_DROP.sub("", rendered(text).strip().lower()).replace(" ", "-")


def rendered(text: str) -> str:
    """A heading's text as rendered: code spans literal, links as their text, no tags."""
    if "`" not in text:
        return _render_inline(text)
    parts = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_render_inline(text[position : match.start()]))
        parts.append(match.group(2))  # inside code, `<T>` and `&amp;` are literal text
        position = match.end()
    parts.append(_render_inline(text[position:]))
    return "".join(parts)


def _strip_tags(text: str) -> str:
    """``text`` without ``<...>`` tags, found one after the other (linear)."""
    parts = []
    position = 0
    while True:
        start = text.find("<", position)
        close = text.find(">", start + 1) if start >= 0 else -1
        if close < 0:
            parts.append(text[position:])
            return "".join(parts)
        if close == start + 1:  # `<>` is text, as `<[^>]+>` has it
            parts.append(text[position : close + 1])
        else:
            parts.append(text[position:start])
        position = close + 1


def _render_inline(text: str) -> str:
    plain = _INLINE_LINK.sub(r"\1", text) if "](" in text else text
    if "<" in plain:
        plain = _strip_tags(plain)
    if "&" in plain:
        plain = html.unescape(plain)
    if "_" in plain:
        plain = _EMPHASIS_UNDERSCORE.sub("", plain)
    return plain


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


@functools.lru_cache(maxsize=8192)
def normalise_heading(text: str) -> str:
    """How required headings are compared: case-insensitive, inline markup and spacing folded."""
    plain = _INLINE_LINK.sub(r"\1", text)
    plain = plain.replace("`", "").replace("*", "")
    if "_" in plain:
        plain = _EMPHASIS_UNDERSCORE.sub("", plain)
    return " ".join(plain.split()).rstrip(":").casefold()
