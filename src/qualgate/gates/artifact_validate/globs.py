"""Globs over project paths (``/``-separated, relative to the project root), matched in
linear time, and the files under the root they match.

``*``, ``?`` and ``[...]`` (``[!...]`` negated) stay within one folder; a ``**`` segment
spans any number of folders (``docs/**/*.md``, ``**/README.md``); ``**`` inside a segment
is a plain ``*``, as in ``.gitignore`` and pathlib. A glob is matched segment by segment
(a table of pattern position x path position), so ten ``**/`` in a row cost ten times one,
where the equivalent regular expression backtracks without end on a path that fails.

`expand` never leaves the project: a glob that climbs out (``../``, an absolute path) is
refused, a folder or file that a link leads out of the root is reported and not read, and
qualgate's own ``.qualgate/`` (and the verdict folder) is never searched.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qualgate.policy import SKIP_DIRS

_MAGIC = re.compile(r"[*?\[]")


def _segment_regex(segment: str) -> re.Pattern[str]:
    # fnmatch's translation keeps several `*` in one segment linear (atomic groups).
    return re.compile(fnmatch.translate(segment.replace("**", "*")))


class Glob:
    """One glob; ``match(path)`` for a ``/``-separated relative path."""

    __slots__ = ("basename", "fixed_depth", "literal", "pattern", "segments")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        parts: list[str] = []
        for part in pattern.split("/"):
            if part == "**" and parts and parts[-1] == "**":
                continue  # `**/**` is one `**`
            if part or not parts:
                parts.append(part)
        self.segments: list[str | re.Pattern[str]] = [
            "**" if p == "**" else _segment_regex(p) if _MAGIC.search(p) else p for p in parts
        ]
        # The common shapes, without the table: no `**` (one segment each), `**/NAME`.
        self.fixed_depth = "**" not in parts
        self.basename: str | re.Pattern[str] | None = None
        self.literal = not any(_MAGIC.search(p) for p in parts)
        if len(parts) == 2 and parts[0] == "**" and parts[1] != "**":
            self.basename = self.segments[1]

    def match(self, path: str) -> bool:
        names = path.split("/")
        if self.fixed_depth:
            return len(names) == len(self.segments) and all(
                _segment_match(s, n) for s, n in zip(self.segments, names, strict=True)
            )
        if self.basename is not None:
            return _segment_match(self.basename, names[-1])
        return _table_match(self.segments, names)


def _segment_match(segment: str | re.Pattern[str], name: str) -> bool:
    if isinstance(segment, str):
        return segment == name
    return segment.match(name) is not None


def _table_match(segments: list[str | re.Pattern[str]], names: list[str]) -> bool:
    """Whether ``names`` match ``segments``: one pass per pattern segment, O(P x S)."""
    # reach[j]: the first j path segments are matched by the pattern segments seen so far.
    reach = [False] * (len(names) + 1)
    reach[0] = True
    for segment in segments:
        nxt = [False] * (len(names) + 1)
        if segment == "**":
            seen = False
            for j in range(len(names) + 1):
                seen = seen or reach[j]
                nxt[j] = seen
        else:
            for j in range(len(names)):
                if reach[j] and _segment_match(segment, names[j]):
                    nxt[j + 1] = True
        reach = nxt
        if not any(reach):
            return False
    return reach[len(names)]


def climbs_out(pattern: str) -> bool:
    """Whether a glob names a place outside the root (``..`` segment, absolute, a drive)."""
    text = pattern.strip()
    return (
        text.startswith(("/", "\\", "~"))
        or re.match(r"^[A-Za-z]:", text) is not None
        or ".." in text.replace("\\", "/").split("/")
        or "\x00" in text
    )


@dataclass(kw_only=True, slots=True)
class Expansion:
    """What a glob matched: readable files, and places a link leads out of the root."""

    files: list[Path] = field(default_factory=list)
    escaping: list[str] = field(default_factory=list)  # root-relative, never read


def _within(path: str, real_root: str) -> bool:
    return path == real_root or path.startswith(real_root + os.sep)


def expand(root: Path, pattern: str, never: Iterable[Path] = ()) -> Expansion:
    """Files under ``root`` matching ``pattern`` (sorted), skipping environments, VCS and
    build folders unless the glob names them, and ``never`` (qualgate's own folders) always.

    The caller has refused globs that `climbs_out`.
    """
    pattern = pattern.strip().lstrip("/")
    while pattern.startswith("./"):
        pattern = pattern[2:]
    glob = Glob(pattern)
    parts = pattern.split("/")
    fixed: list[str] = []
    for part in parts[:-1]:
        if _MAGIC.search(part):
            break
        fixed.append(part)
    out = Expansion()
    real_root = os.path.realpath(root)
    skipped = {os.path.realpath(p) for p in never}
    start = root.joinpath(*fixed)
    if not os.path.isdir(start) and glob.literal and fixed:
        start = start.parent  # a literal file path: search its folder
    if not _within(os.path.realpath(start), real_root):
        out.escaping.append("/".join(fixed))
        return out
    named = set(parts)
    for folder, dirs, files in os.walk(start):
        # The shared skip-list (environments, builds...) unless the glob names it.
        dirs[:] = sorted(
            d
            for d in dirs
            if (d not in SKIP_DIRS or d in named)
            and d != ".qualgate"
            and os.path.realpath(os.path.join(folder, d)) not in skipped
        )
        rel_folder = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if rel_folder == "." else rel_folder + "/"
        for name in files:
            rel = prefix + name
            if not glob.match(rel):
                continue
            full = os.path.join(folder, name)
            if os.path.islink(full) and not _within(os.path.realpath(full), real_root):
                out.escaping.append(rel)
                continue
            out.files.append(Path(full))
    out.files.sort()
    return out
