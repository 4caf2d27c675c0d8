"""Resolving Markdown links: files inside the project, anchors to headings, no escapes.

Paths are relative to the linking file, or to the project root when they start with
``/`` (as GitHub renders them). External links (any ``scheme:`` or ``//host``) are not
fetched. Each target is stat'ed once per run, and a target's anchors are computed only
when some link points into it (from the parsed artifacts, else read from disk).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import unquote

from qualgate.fsutil import read_text_bounded
from qualgate.gates.artifact_validate import markdown

MARKDOWN_SUFFIXES = (".md", ".markdown")
_MAX_TARGET_BYTES = 16 * 1024 * 1024
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def link_problems(
    docs: Mapping[str, markdown.Document], root: Path, consulted: set[str] | None = None
) -> Iterator[tuple[str, markdown.Link, str, str]]:
    """``(file, link, rule, message)`` for every link of ``docs`` (path -> parsed file).

    ``consulted`` receives every target path looked up on disk, found or not.
    """
    resolver = _Resolver(docs, root)
    for path, doc in docs.items():
        for link in doc.links:
            problem = resolver.problem(link, path)
            if problem is not None:
                yield path, link, problem[0], problem[1]
    if consulted is not None:
        consulted.update(resolver.states)


class _Resolver:
    def __init__(self, docs: Mapping[str, markdown.Document], root: Path) -> None:
        self.docs = docs
        self.root = os.path.normpath(str(root))
        self.real_root = os.path.realpath(self.root)
        self.states: dict[str, str] = {}
        self.anchors: dict[str, frozenset[str] | None] = {}
        self.real_dirs: dict[str, str] = {}

    def problem(self, link: markdown.Link, source: str) -> tuple[str, str] | None:
        target = link.target
        if target.startswith("<") and target.endswith(">"):
            target = target[1:-1].strip()
        if _SCHEME.match(target) or target.startswith("//"):
            return None  # external links are not fetched
        if not target:
            return "broken-link", "empty link target"
        path_part, _, fragment = target.partition("#")
        path_part = unquote(path_part.split("?", 1)[0])
        fragment = unquote(fragment)
        if not path_part:
            own = self.anchors_of(source)
            if fragment and own is not None and fragment.lower() not in own:
                return "broken-anchor", f"no heading with anchor #{fragment} in this file"
            return None
        if path_part.startswith("/"):
            candidate = os.path.normpath(os.path.join(self.root, path_part.lstrip("/")))
        else:
            candidate = os.path.normpath(os.path.join(os.path.dirname(source), path_part))
        if not _within(candidate, self.root):
            return "link-escapes-root", "points outside the project root"
        state = self.states.get(candidate)
        if state is None:
            state = self.state(candidate)
            self.states[candidate] = state
        if state == "missing":
            return "broken-link", "no such file"
        if state == "outside":
            return "link-escapes-root", "resolves (through a symlink) outside the project root"
        if fragment and candidate.lower().endswith(MARKDOWN_SUFFIXES):
            target_anchors = self.anchors_of(candidate)
            if target_anchors is not None and fragment.lower() not in target_anchors:
                shown = os.path.basename(candidate)
                return "broken-anchor", f"no heading with anchor #{fragment} in {shown}"
        return None

    def state(self, candidate: str) -> str:
        """ "ok", "missing" or "outside" (a symlink on the way leads out of the root)."""
        try:
            st = os.lstat(candidate)
        except OSError:
            return "missing"
        # realpath of the folder (cached: many links share one) and of the file only when
        # it is itself a link: one lstat per target instead of one per path component.
        folder = os.path.dirname(candidate)
        real_folder = self.real_dirs.get(folder)
        if real_folder is None:
            real_folder = os.path.realpath(folder)
            self.real_dirs[folder] = real_folder
        real = os.path.join(real_folder, os.path.basename(candidate))
        if stat.S_ISLNK(st.st_mode):
            if not os.path.exists(candidate):
                return "missing"
            real = os.path.realpath(candidate)
        return "ok" if _within(real, self.real_root) else "outside"

    def anchors_of(self, path: str) -> frozenset[str] | None:
        if path not in self.anchors:
            doc = self.docs.get(path)
            if doc is not None:
                self.anchors[path] = doc.anchors
            else:
                try:
                    text = read_text_bounded(Path(path), _MAX_TARGET_BYTES)  # regular files only
                    self.anchors[path] = markdown.parse(text, with_links=False).anchors
                except (OSError, UnicodeDecodeError):
                    # A folder or an unreadable file: existence is all that is checked.
                    self.anchors[path] = None
        return self.anchors[path]
