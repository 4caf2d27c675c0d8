"""A fast path for simple front matter, equal to ``jsonable(yaml.load(text))`` or declining.

On 10,000 artifacts PyYAML's constructor is a large share of the time, and nearly every
front matter is flat: ``key: scalar`` lines plus ``[a, b]`` and ``- item`` lists of
scalars. `simple_yaml` reads those with PyYAML's own implicit-tag resolver (so ``yes``,
``~``, ``2024-01-02`` and ``012`` mean what they mean to PyYAML) and returns ``None`` for
anything else, which the caller then hands to ``yaml.load``. Pinned to PyYAML by a
differential test.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# Linear: `[ ]+` is followed by `.*`, which takes the rest of the line whatever it holds.
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ ]+(.*))?")
_ITEM_LINE = re.compile(r"[ ]*-[ ]+(.*)")
# Characters the fast path reads as PyYAML does: printable, no tab, no line break but \n
# (\r, \x85, \u2028 and \u2029 break lines too), no BOM. Anything else goes to PyYAML,
# which rejects control characters and tabs where they cannot stand.
_UNSAFE = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# A plain scalar we can read without the full YAML grammar: no indicator first, no tabs,
# quotes, brackets or braces (": ", " #" and a trailing colon are refused separately).
_SAFE_PLAIN = re.compile(r"(?![-?:,\[\]{}#&*!|>'\"%@`])[^\t'\"\[\]{}`]*")
_SIMPLE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_STR = "tag:yaml.org,2002:str"
_resolver: Any = None


class _Fallback(Exception):
    """The text is not simple: use the real YAML loader."""


# First characters for which PyYAML has an implicit resolver (bool, null, int, float,
# timestamp, merge, value); a plain scalar starting with any other character is a string.
_RESOLVED_FIRST = frozenset("yYnNtTfFoO~+-.0123456789<=")
_cache: dict[str, Any] = {}


def _resolve(value: str) -> Any:
    if value[0] not in _RESOLVED_FIRST:
        return value
    try:
        return _cache[value]
    except KeyError:
        pass
    result = _resolve_tag(value)
    if len(_cache) < 10_000:
        _cache[value] = result
    return result


def _resolve_tag(value: str) -> Any:
    global _resolver
    import yaml

    if _resolver is None:
        _resolver = yaml.resolver.Resolver()
    tag = _resolver.resolve(yaml.ScalarNode, value, (True, False))
    if tag == _STR:
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in ("yes", "true", "on")
    if tag == "tag:yaml.org,2002:int" and _SIMPLE_INT.fullmatch(value):
        return int(value)
    if tag == "tag:yaml.org,2002:timestamp" and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise _Fallback from None
    raise _Fallback


def _scalar(text: str) -> Any:
    if not text:
        return None
    first = text[0]
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            raise _Fallback
        return inner
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner:
            raise _Fallback
        return inner
    if (
        not _SAFE_PLAIN.fullmatch(text)
        or ": " in text
        or " #" in text
        or text.endswith(":")
        or text.endswith(" ")
    ):
        raise _Fallback
    return _resolve(text)


def _flow(text: str) -> list[Any]:
    inner = text[1:-1].strip(" ")
    if not inner:
        return []
    if any(c in inner for c in "[]{}\"'#&*!|>"):
        raise _Fallback
    items = [part.strip(" ") for part in inner.split(",")]
    if items and items[-1] == "":
        items.pop()  # YAML allows one trailing comma
    if any(not item or ": " in item or item.endswith(":") for item in items):
        raise _Fallback
    return [_scalar(item) for item in items]


def simple_yaml(text: str) -> dict[str, Any] | None:
    """The mapping of a simple front matter, or ``None`` when it is not simple."""
    if _UNSAFE.search(text):
        return None
    try:
        return _simple(text)
    except _Fallback:
        return None


def _key_line(line: str) -> tuple[str, str | None] | None:
    """``key: value`` as (key, value or None): what ``([A-Za-z_][A-Za-z0-9_-]*):(?:[ ]+(.*?))?[ ]*``
    matches in full, with no backtracking (that pattern is quadratic on a value followed by
    a long run of spaces): the rest of the line is taken whole, then stripped."""
    match = _KEY_LINE.match(line)
    if match is None or match.end() != len(line):
        return None
    value = match.group(2)
    return match.group(1), (value.rstrip(" ") or None) if value else None


def _item_line(line: str) -> str | None:
    """The text of a ``  - item`` line (``[ ]*-[ ]+(.*?)[ ]*``), else None."""
    match = _ITEM_LINE.match(line)
    return None if match is None else match.group(1).rstrip(" ")


def _simple(text: str) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    lines = text.split("\n")
    index = 0
    count = len(lines)
    while index < count:
        line = lines[index]
        index += 1
        if not line.strip(" "):
            continue
        if line[0] == "#":
            continue
        found = _key_line(line)
        if found is None:
            raise _Fallback
        key, value = found
        if _resolve(key) != key:
            raise _Fallback
        if value is None:
            items: list[Any] = []
            indent = -1
            while index < count and lines[index].lstrip(" ").startswith("- "):
                item = _item_line(lines[index])
                width = len(lines[index]) - len(lines[index].lstrip(" "))
                if item is None or (indent >= 0 and width != indent):
                    raise _Fallback  # items at different indentations are not a flat list
                indent = width
                items.append(_scalar_item(item))
                index += 1
            if index < count and lines[index][:1] in (" ", "\t", "-"):
                raise _Fallback  # a nested mapping or an odd indentation
            out[key] = items if items else None
            continue
        if value[0] == "[" and value[-1] == "]":
            out[key] = _flow(value)
        elif value[0] in "[{|>&*!%@`":
            raise _Fallback
        else:
            out[key] = _scalar(value)
    return out


def _scalar_item(text: str) -> Any:
    if text.startswith("- ") or text.startswith("["):
        raise _Fallback
    return _scalar(text)
