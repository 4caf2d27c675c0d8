"""The project's files and a digest of each, as the result cache keys them.

A snapshot holds every file a gate could discover: a walk of the root that skips the
folders no gate searches on its own (`policy.SKIP_DIRS`), plus every file git tracks
(even inside such a folder). Each file's digest is the SHA-256 of its content, taken
again only when its size, modification time, change time or inode differ from the
last time (the stat cache, like git's index). A file modified less than `RACY_S`
before it was hashed is hashed again next time: its timestamp cannot tell a later
edit within the same tick.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from qualgate import process
from qualgate.errors import GateError
from qualgate.fsutil import ReadRefused, read_bytes_bounded
from qualgate.policy import SKIP_DIRS

# Files larger than this are keyed by their stat signature instead of their content.
MAX_HASHED = 64 * 1024 * 1024
RACY_S = 2.0
# qualgate's own folder: verdicts and this cache change with every run.
OWN_DIR = ".qualgate"

StatKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def stat_key(info: os.stat_result) -> StatKey:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


@dataclass(kw_only=True)
class StatCache:
    """Digests of files by their stat signature (persisted by `store`)."""

    entries: dict[str, tuple[StatKey, str]] = field(default_factory=dict)
    changed: bool = False

    def digest(self, path: Path, rel: str, info: os.stat_result) -> str:
        key = stat_key(info)
        known = self.entries.get(rel)
        if known is not None and known[0] == key:
            return known[1]
        digest = file_digest(path, info)
        if time.time() - info.st_mtime > RACY_S and not digest.startswith("unreadable"):
            self.entries[rel] = (key, digest)
            self.changed = True
        elif rel in self.entries:
            del self.entries[rel]
            self.changed = True
        return digest


def file_digest(path: Path, info: os.stat_result) -> str:
    """``sha256:<hex>`` of the content; a stat signature for huge or unreadable files."""
    if info.st_size > MAX_HASHED:
        return "stat:{}:{}:{}:{}".format(*stat_key(info))
    try:
        data = read_bytes_bounded(path, MAX_HASHED)
    except (ReadRefused, OSError):
        return "unreadable:{}:{}:{}:{}".format(*stat_key(info))
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """Every candidate file of a project (relative path with ``/``) -> its digest."""

    root: Path
    files: Mapping[str, str]
    stats: StatCache = field(default_factory=StatCache)

    def select(self, patterns: Iterable[str], exclude: Iterable[str] = ()) -> dict[str, str]:
        """The files matching any of ``patterns`` and none of ``exclude``.

        A pattern that names a folder the walk skips (``build/openapi.yaml``) is looked
        up there: a gate told to read it reads it.
        """
        wanted = tuple(patterns)
        include = compile_globs(wanted)
        skip = compile_globs(tuple(exclude))
        candidates = dict(self.files)
        for folder in _skipped_prefixes(wanted):
            candidates.update(self._inside(folder))
        return {
            rel: digest
            for rel, digest in candidates.items()
            if include.match(rel) and not (skip and skip.match(rel))
        }

    def _inside(self, rel_dir: str) -> dict[str, str]:
        found: dict[str, str] = {}
        start = self.root / rel_dir
        if start.is_file():
            return {rel_dir: self.stats.digest(start, rel_dir, start.stat())}
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                path = Path(dirpath) / name
                rel = path.relative_to(self.root).as_posix()
                try:
                    info = path.lstat()
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    found[rel] = self.stats.digest(path, rel, info)
        return found


def _skipped_prefixes(patterns: Iterable[str]) -> list[str]:
    """The literal folder part of each pattern that passes through a skipped folder."""
    out = []
    for pattern in patterns:
        literal = []
        for part in pattern.strip().lstrip("/").removeprefix("./").split("/"):
            if any(ch in part for ch in "*?["):
                break
            literal.append(part)
        if literal and SKIP_DIRS.intersection(literal) and OWN_DIR not in literal:
            out.append("/".join(literal))
    return out


# Skipped folders git may still track files in (a package named `build`, vendored
# `node_modules`); the others (VCS, caches, virtualenvs) never hold a project's input.
_MAY_BE_TRACKED = frozenset({"build", "dist", "node_modules", "site-packages", ".eggs", ".env"})


def take(root: Path, cache: StatCache) -> Snapshot:
    """Walk the project (and ask git what it tracks where the walk does not go) and
    digest every file."""
    skipped: set[str] = set()
    rels = set(_walk(root, skipped))
    if skipped:
        rels.update(_tracked(root, sorted(skipped)))
    files: dict[str, str] = {}
    for rel in rels:
        path = root / rel
        try:
            info = path.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            files[rel] = _link_digest(path, root)
        elif stat.S_ISREG(info.st_mode):
            files[rel] = cache.digest(path, rel, info)
    return Snapshot(root=root, files=files, stats=cache)


def _link_digest(path: Path, root: Path) -> str:
    """A link is keyed by where it points, and a target outside the root by its stat."""
    try:
        target = os.readlink(path)
        real = path.resolve()
    except (OSError, RuntimeError):
        return "link:unresolvable"
    if real.is_relative_to(root.resolve()):
        return f"link:{target}"  # the target itself is in the snapshot when it is a file
    try:
        info = real.stat()
    except OSError:
        return f"link:{target}:missing"
    return "link:{}:{}:{}:{}:{}".format(target, *stat_key(info))


def _walk(root: Path, skipped: set[str]) -> Iterable[str]:
    """Every file under the root outside `SKIP_DIRS`; ``skipped`` collects the skipped
    folders git might track files in."""
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            entries = list(os.scandir(root / rel_dir if rel_dir else root))
        except OSError:
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name not in SKIP_DIRS:
                    stack.append(rel)
                elif entry.name in _MAY_BE_TRACKED:
                    skipped.add(rel)
            else:
                yield rel


def _tracked(root: Path, folders: list[str]) -> list[str]:
    """Files git tracks in these folders (which the walk skips); [] without git."""
    try:
        done = process.run(
            ["git", "-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--", *folders],
            cwd=root,
            timeout=60,
        )
    except GateError:
        return []
    if done.returncode != 0:
        return []
    return [p for p in done.stdout.split("\0") if p and not p.startswith(OWN_DIR + "/")]


class Globs:
    """Gitignore-like globs (``**`` spans folders, ``*`` and ``?`` do not), matched against
    project-relative paths; the common shapes (``**/*.py``, ``**/pyproject.toml``,
    ``docs/**``, ``a/b.txt``) without a regular expression."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.everything = False
        self.suffixes: set[str] = set()
        self.names: set[str] = set()
        self.prefixes: set[str] = set()
        self.exact: set[str] = set()
        rest = []
        for raw in patterns:
            pattern = raw.strip().lstrip("/").removeprefix("./")
            wild = [i for i, ch in enumerate(pattern) if ch in "*?["]
            if pattern in ("", "**"):
                self.everything = True
            elif not wild:
                self.exact.add(pattern)
                self.prefixes.add(pattern + "/")
            elif pattern.startswith("**/*.") and len(wild) == 3 and "/" not in pattern[3:]:
                self.suffixes.add(pattern[4:])
            elif pattern.startswith("**/") and len(wild) == 2 and "/" not in pattern[3:]:
                self.names.add(pattern[3:])
            elif pattern.endswith("/**") and len(wild) == 2 and wild[0] == len(pattern) - 2:
                self.prefixes.add(pattern[:-2])
            else:
                rest.append(pattern)
        self.regex = re.compile("|".join(f"(?:{_glob(p)})" for p in rest)) if rest else None
        self._suffixes = tuple(sorted(self.suffixes))

    def __bool__(self) -> bool:
        return bool(
            self.everything
            or self.suffixes
            or self.names
            or self.prefixes
            or self.exact
            or self.regex
        )

    def match(self, rel: str) -> bool:
        if self.everything or rel in self.exact:
            return True
        name = rel.rsplit("/", 1)[-1]
        if name in self.names or (self._suffixes and name.endswith(self._suffixes)):
            return True
        if any(rel.startswith(p) for p in self.prefixes):
            return True
        return self.regex is not None and self.regex.match(rel) is not None


@lru_cache(maxsize=256)
def compile_globs(patterns: tuple[str, ...]) -> Globs:
    return Globs(patterns)


def _glob(pattern: str) -> str:
    pattern = pattern.strip().lstrip("/").removeprefix("./")
    if pattern in ("", "**"):
        return r".*\Z"
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(r".*")
            i += 2
        elif ch == "*":
            out.append(r"[^/]*")
            i += 1
        elif ch == "?":
            out.append(r"[^/]")
            i += 1
        elif ch == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
            i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    # A folder pattern covers what is under it.
    return "".join(out) + r"(?:/.*)?\Z"
