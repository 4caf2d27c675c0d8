"""Where things are in a dependency file's text: lines of JSON keys and TOML lock entries,
found in one forward pass (never a rescan of the file per key), and the repository a lock
file belongs to."""

from __future__ import annotations

import bisect
import json
import os
import re
from pathlib import Path


def repository_root(root: Path) -> Path:
    """The real path of the nearest folder at or above ``root`` that holds ``.git``.

    Without one, ``root`` itself: reading stops at the project then.
    """
    real = Path(os.path.realpath(root))
    for folder in (real, *real.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return real


def first_party(lock: Path, location: object) -> bool:
    """Whether a lock entry's local folder (``backend``, ``./libs/x``) lies in the repository:
    the project or a workspace member, not a third-party dependency."""
    if not isinstance(location, str) or not location or "://" in location or "\x00" in location:
        return False
    target = Path(os.path.realpath(lock.parent / location))
    return target.is_dir() and target.is_relative_to(repository_root(lock.parent))


class LineFinder:
    """Finds the line of a key in a file's text, moving forward so repeats resolve in order.

    A search that finds nothing scans to the end of the text; after a few of those the
    finder stops searching (lines become unknown), so a file of many odd keys stays linear.
    """

    _GIVE_UP = 16

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0]
        for match in re.finditer("\n", text):
            self._starts.append(match.end())
        self._misses = 0

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def find(self, pattern: str, start: int = 0) -> tuple[int | None, int]:
        """(line, offset after the match) of the first regex match at or after ``start``."""
        if self._misses >= self._GIVE_UP:
            return None, start
        match = re.compile(pattern, re.MULTILINE).search(self.text, start)
        if match is None:
            self._misses += 1
            return None, start
        return self.line_of(match.start()), match.end()

    def find_key(self, key: str, start: int = 0, opens: str = "") -> tuple[int | None, int]:
        """(line, offset after) of the JSON object key ``key`` at or after ``start``.

        With ``opens`` (``"{"``), only a key whose value starts with it counts.
        """
        if self._misses >= self._GIVE_UP:
            return None, start
        needle = json.dumps(key, ensure_ascii=False)
        text = self.text
        position = text.find(needle, start)
        while position >= 0:
            after = position + len(needle)
            while after < len(text) and text[after] in " \t\r\n":
                after += 1
            if after < len(text) and text[after] == ":":
                value = after + 1
                while opens and value < len(text) and text[value] in " \t\r\n":
                    value += 1
                if not opens or text.startswith(opens, value):
                    return self.line_of(position), after + 1
            position = text.find(needle, position + 1)
        self._misses += 1
        return None, start


def toml_package_lines(text: str, table: str = "package") -> list[int | None]:
    """Line of the ``name = ...`` key of each ``[[table]]`` entry, in order (one pass)."""
    header = f"[[{table}]]"
    lines: list[int | None] = []
    inside = False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line.startswith("["):
            if line.split("#", 1)[0].strip() == header:
                lines.append(number)  # the header, until a name key is seen
                inside = True
            else:
                inside = False
            continue
        if inside and _NAME_KEY.match(line):
            lines[-1] = number
            inside = False
    return lines


_NAME_KEY = re.compile(r"name[ \t]*=")
