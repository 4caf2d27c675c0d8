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

from qualgate.gates.artifact_validate.inline import CODE_SPAN, scan_links
from qualgate.gates.artifact_validate.inline import Link as Link

# Fences at any indentation: inside list items they sit deeper than CommonMark's 3 spaces,
# and code in them (`handlers[name](event)`) must not be read as links.
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_NOT_PARAGRAPH = re.compile(r"^(?: {4}|\t| {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|\||<|#))")
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
                    scan_links(raw, number, links, html_anchors)
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
            scan_links(raw, number, links, html_anchors)
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


# The opening of an ATX heading; the rest of the line is taken apart with str methods (the
# whole-line pattern `^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$` backtracks quadratically on
# a title followed by a long run of spaces).
_ATX_OPEN = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")


def _atx(raw: str) -> tuple[int, str] | None:
    """(level, title) of an ATX heading line (``## Title ##``), else None."""
    match = _ATX_OPEN.match(raw)
    if match is None:
        return None
    title = raw[match.end() :].strip(" \t")
    closed = title.rstrip("#")  # a closing sequence: `#`s alone or after a space
    if closed != title and (not closed or closed[-1] in " \t"):
        title = closed
    return len(match.group(1)), title.strip()


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


def _is_paragraph(line: str) -> bool:
    return bool(line.strip()) and not _NOT_PARAGRAPH.match(line)


def slug(text: str) -> str:
    """GitHub's anchor for a heading text (before de-duplication)."""
    return _SLUG_DROP.sub("", rendered(text).strip().lower()).replace(" ", "-")


def rendered(text: str) -> str:
    """A heading's text as rendered: code spans literal, links as their text, no tags."""
    if "`" not in text:
        return _render_inline(text)
    parts = []
    position = 0
    for match in CODE_SPAN.finditer(text):
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
