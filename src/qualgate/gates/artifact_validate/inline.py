"""Links and anchors on one Markdown line: inline links and images, reference definitions,
HTML ``href``/``src`` attributes and ``<a name|id>`` anchors, with their columns.

Every scan here is linear in the line: link brackets are paired in one forward pass, HTML
tags are taken one after the other with remembered searches, and no pattern rescans the rest
of the line from every candidate (``"<a " * 40000`` or ``"](x)" * 30000`` cost milliseconds).
Property tests pin each scan to the pattern it replaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
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


@dataclass(frozen=True, kw_only=True, slots=True)
class Link:
    target: str
    line: int
    column: int
    image: bool = False


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


def scan_links(raw: str, number: int, links: list[Link], anchors: list[str]) -> None:
    has_bracket = "](" in raw or "]:" in raw
    has_html = "<" in raw
    if not has_bracket and not has_html:
        return
    line = CODE_SPAN.sub(lambda m: " " * len(m.group(0)), raw) if "`" in raw else raw
    if "](" in line:
        # A line of a few links: scanning back from each `]` costs less than the table; a
        # line of many would make that quadratic, so it gets the one-pass table.
        openers = _openers(line) if line.count("](") > 4 else None
        for match in _LINK_TARGET.finditer(line):
            target = match.group(1)
            if openers is None:
                opening = _opening_bracket(line, match.start())
            else:
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
