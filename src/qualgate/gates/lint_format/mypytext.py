"""mypy's text output, for mypy older than 1.11 (no ``--output json``).

The gate runs such a mypy with ``--show-column-numbers --show-error-codes
--no-error-summary --no-pretty --no-color-output``, so each message is one line:

    src/pkg/m.py:4:12: error: Incompatible return value type (...)  [return-value]
    src/pkg/m.py: note: In function "f":

Each line becomes the same dict mypy's JSON output gives (0-based column), so both
outputs go through one reader. Configuration lines (``pyproject.toml: note: ...``) stay
text, as in JSON mode.
"""

from __future__ import annotations

import re
from typing import Any

FLAGS = (
    "--show-column-numbers",
    "--show-error-codes",
    "--no-error-summary",
    "--no-pretty",
    "--no-color-output",
)

_LOCATED = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<severity>error|warning|note): "
    r"(?P<message>.*?)(?:  \[(?P<code>[a-z][a-z0-9-]*)\])?$"
)
_UNLOCATED = re.compile(r"^(?P<file>[^:]+?): (?P<severity>error|warning|note): (?P<message>.*)$")
_CONFIG_SUFFIXES = (".toml", ".ini", ".cfg")


def parse_line(line: str) -> dict[str, Any] | None:
    """One text line as a mypy JSON item, or None when it is not a message line."""
    line = line.rstrip("\r\n")
    match = _LOCATED.match(line)
    if match is not None:
        column = int(match["col"]) - 1 if match["col"] else None
        return {
            "file": match["file"],
            "line": int(match["line"]),
            "column": column if column is not None and column >= 0 else None,
            "severity": match["severity"],
            "message": match["message"],
            "code": match["code"],
        }
    match = _UNLOCATED.match(line)
    if match is not None and not match["file"].endswith(_CONFIG_SUFFIXES):
        return {
            "file": match["file"],
            "line": None,
            "column": None,
            "severity": match["severity"],
            "message": match["message"],
            "code": None,
        }
    return None


def items(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The message lines as JSON-shaped items, and every other non-blank line."""
    found: list[dict[str, Any]] = []
    other: list[str] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        item = parse_line(raw)
        if item is None:
            other.append(raw.strip())
        else:
            found.append(item)
    return found, other
