"""pip requirement files (``requirements*.txt`` / ``*.in``), following ``-r`` and ``-c``.

The reader follows pip's file format without running pip: logical lines joined across
``\\`` continuations, comments stripped the way pip does (``#`` at the start or after
whitespace), includes resolved relative to the including file. A requirement keeps the file
and the line where it starts. Includes that cannot be read are problems at the ``-r`` line
(never silently dropped); an include cycle is reported once and not followed again.

A requirement file is the repository's, so it may be hostile. ``${VAR}`` is shown as
written, never expanded (pip expands it; a verdict would then carry the runner's secrets).
An include is followed only to a regular requirements file (``*.txt``, ``*.in``) inside the
repository, outside VCS folders and not a dotfile (`include_refusal`): ``-r /proc/self/environ``,
``-r ../../creds`` or ``-r .git/config`` are findings at their ``-r`` line, never read. No
finding quotes a line of a requirement file that failed to parse.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from qualgate.gates.dependency_scan.model import Dependency, Ecosystem, PinKind, Problem
from qualgate.gates.dependency_scan.sources._common import (
    Parsed,
    Rel,
    SourceError,
    read_text,
    requirement_dependency,
)

_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=\S))(.+)$")
_EDITABLE = re.compile(r"^(-e|--editable)(?:\s*=\s*|\s+)(.+)$")
# Options that apply to the whole file (index, wheel selection...): nothing to check.
_GLOBAL_OPTIONS = (
    "-i",
    "--index-url",
    "--extra-index-url",
    "--no-index",
    "-f",
    "--find-links",
    "--no-binary",
    "--only-binary",
    "--prefer-binary",
    "--require-hashes",
    "--pre",
    "--trusted-host",
    "--use-feature",
)
# Per-requirement options that follow a requirement on its line.
_PER_REQUIREMENT = re.compile(r"\s--(hash|config-settings|global-option|install-option)(=|\s+)\S+")
_URL_START = re.compile(r"^(https?|ftp|file|git\+\w+|hg\+\w+|svn\+\w+|bzr\+\w+)://|^git\+", re.I)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tar.bz2", ".tgz")
_ARCHIVE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._]*")
# Include targets qualgate reads: named like the requirement files it detects.
_INCLUDE_SUFFIXES = (".txt", ".in")
_VCS_DIRS = frozenset({".git", ".hg", ".svn", ".bzr"})


def strip_comment(raw: str) -> str:
    """``raw`` without its comment: from the first ``#`` at the start or after whitespace.

    A scan rather than the regex ``(^|\\s+)#.*$``, which is quadratic on a long run of
    whitespace (a line of 200,000 spaces).
    """
    index = raw.find("#")
    while index >= 0:
        if index == 0 or raw[index - 1].isspace():
            return raw[:index].rstrip()
        index = raw.find("#", index + 1)
    return raw


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, joined text) of each logical line, comments removed."""
    out: list[tuple[int, str]] = []
    buffer = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = strip_comment(raw)
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            out.append((start, buffer.strip()))
        buffer = ""
    if buffer.strip():
        out.append((start, buffer.strip()))
    return out


def _name_from_location(location: str) -> str:
    egg = _EGG.search(location)
    if egg:
        return egg.group(1)
    base = location.split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    if base.endswith(_ARCHIVE_SUFFIXES):
        # `name-1.0-py3-none-any.whl`, `name-1.0.tar.gz`: the name runs to the first `-<digit>`.
        cut = next(
            (i for i in range(1, len(base) - 1) if base[i] == "-" and base[i + 1].isdigit()), -1
        )
        if cut > 0 and _ARCHIVE_NAME.fullmatch(base[:cut]):
            return base[:cut]
    return base or location


def include_refusal(target: Path, top: Path) -> str | None:
    """Why an include (or any requirement file) is not read, or None when it may be.

    ``top`` is the repository's real root. The file must resolve inside it, not within a
    VCS folder, not be a dotfile (``.env``, ``.netrc``), be named ``*.txt``/``*.in`` (as
    the requirement files qualgate reads are) and be a regular file.
    """
    try:
        real = Path(os.path.realpath(target))
    except (OSError, ValueError):
        return "its path cannot be resolved"
    if not real.is_relative_to(top):
        return "it leads outside the repository"
    parts = real.relative_to(top).parts
    if any(part in _VCS_DIRS for part in parts):
        return "it is inside a version-control folder"
    if real.name.startswith(".") or target.name.startswith("."):
        return "it is a dotfile (.env, .netrc...), not a requirements file"
    if not (target.name.endswith(_INCLUDE_SUFFIXES) and real.name.endswith(_INCLUDE_SUFFIXES)):
        return "it is not named like a requirements file (*.txt, *.in)"
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return "it does not exist"
    if not stat.S_ISREG(mode):
        return "it is not a regular file"
    return None


def _looks_like_location(text: str) -> bool:
    if _URL_START.match(text):
        return True
    return text.startswith((".", "/", "~")) or (
        "/" in text and " @ " not in text and "@" not in text
    )


class RequirementsReader:
    """Reads one or more requirement files, sharing what was already read between them."""

    def __init__(self, rel: Rel, top: Path) -> None:
        self.rel = rel
        self.top = top  # the repository's real root: nothing above it is read
        self.seen: set[Path] = set()

    def read(self, path: Path) -> Parsed:
        parsed = Parsed()
        self._read(path.resolve(), parsed, stack=(), constraint=False)
        return parsed

    def _read(
        self, path: Path, parsed: Parsed, *, stack: tuple[Path, ...], constraint: bool
    ) -> None:
        if path in self.seen:
            return
        self.seen.add(path)
        rel = self.rel(path)
        parsed.files.append(rel)
        try:
            text = read_text(path)
        except SourceError as exc:
            parsed.problems.append(
                Problem(rule=exc.rule, message=exc.message, path=rel, line=exc.line)
            )
            return
        source = "constraints" if constraint else "requirements"
        for number, line in logical_lines(text):
            if "\x00" in line:
                parsed.problems.append(
                    Problem(
                        rule="parse-error", message="a NUL byte in the line", path=rel, line=number
                    )
                )
                continue
            include = _INCLUDE.match(line)
            if include:
                self._include(path, rel, number, include, parsed, stack)
                continue
            editable = _EDITABLE.match(line)
            if editable:
                location = editable.group(2).strip()
                if self._is_project(path, location):
                    continue  # `-e .`: the project itself, not a dependency
                parsed.dependencies.append(
                    _unscannable(location, f"editable {location}", rel, number, source)
                )
                continue
            if line.startswith("-"):
                option = re.split(r"[\s=]", line, maxsplit=1)[0]
                if option not in _GLOBAL_OPTIONS:
                    parsed.problems.append(
                        Problem(
                            rule="parse-error",
                            message=f"unknown pip option {shorten(option, 60)!r}",
                            path=rel,
                            line=number,
                            blocking=False,
                        )
                    )
                continue
            requirement = _PER_REQUIREMENT.sub("", " " + line).strip()
            if _looks_like_location(requirement):
                if self._is_project(path, requirement):
                    continue
                parsed.dependencies.append(
                    _unscannable(requirement, requirement, rel, number, source)
                )
                continue
            try:
                parsed.dependencies.append(
                    requirement_dependency(
                        requirement, path=rel, line=number, source=source, application=True
                    )
                )
            except SourceError as exc:
                parsed.problems.append(
                    Problem(rule="parse-error", message=exc.message, path=rel, line=number)
                )

    def _is_project(self, including: Path, location: str) -> bool:
        """Whether a local path requirement names the project root being scanned."""
        if not location.startswith((".", "/")) or "[" in location:
            return False
        try:
            return self.rel((including.parent / location.split("#")[0]).resolve()) == "."
        except (OSError, ValueError):
            return False

    def _include(
        self,
        path: Path,
        rel: str,
        number: int,
        match: re.Match[str],
        parsed: Parsed,
        stack: tuple[Path, ...],
    ) -> None:
        target_text = shorten(match.group(2).strip())
        constraint = match.group(1) in ("-c", "--constraint")
        if _URL_START.match(target_text):
            parsed.problems.append(
                Problem(
                    rule="include-unreadable",
                    message=f"cannot follow remote include {target_text} (not fetched): "
                    "its requirements are not checked",
                    path=rel,
                    line=number,
                )
            )
            return
        named = path.parent / match.group(2).strip()
        if "\x00" not in str(named):
            parsed.consulted.append(os.path.abspath(named))
        refusal = include_refusal(named, self.top)
        if refusal is not None:
            parsed.problems.append(
                Problem(
                    rule="include-unreadable",
                    message=f"include {target_text} is not followed: {refusal}; "
                    "its requirements are not checked",
                    path=rel,
                    line=number,
                )
            )
            return
        target = named.resolve()
        if target in (*stack, path):
            parsed.problems.append(
                Problem(
                    rule="include-cycle",
                    message=f"include cycle: {target_text} is already being read "
                    f"({' -> '.join(self.rel(p) for p in (*stack, path, target))})",
                    path=rel,
                    line=number,
                    blocking=False,
                )
            )
            return
        self._read(target, parsed, stack=(*stack, path), constraint=constraint)


def shorten(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters: a finding names a location, it does not copy it."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _unscannable(location: str, detail: str, rel: str, line: int, source: str) -> Dependency:
    return Dependency(
        name=shorten(_name_from_location(location), 100),
        ecosystem=Ecosystem.PYPI,
        path=rel,
        line=line,
        kind=PinKind.UNSCANNABLE,
        detail=shorten(detail),
        source=source,
    )
