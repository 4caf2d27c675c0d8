"""pip requirement files (``requirements*.txt`` / ``*.in``), following ``-r`` and ``-c``.

The reader follows pip's file format without running pip: logical lines joined across
``\\`` continuations, comments stripped the way pip does (``#`` at the start or after
whitespace), ``${VAR}`` expanded from the environment, includes resolved relative to the
including file. A requirement keeps the file and the line where it starts. Includes that
cannot be read are problems at the ``-r`` line (never silently dropped); an include cycle is
reported once and not followed again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from qualgate.gates.dependency_scan.model import Dependency, Ecosystem, PinKind, Problem
from qualgate.gates.dependency_scan.sources._common import (
    Parsed,
    Rel,
    SourceError,
    read_text,
    requirement_dependency,
)

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
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
_ARCHIVE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^/]*\.(whl|zip|tar\.gz|tar\.bz2|tgz)$")


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, joined text) of each logical line, comments removed."""
    out: list[tuple[int, str]] = []
    buffer = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw)
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


def _expand(text: str) -> str:
    return _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), text)


def _name_from_location(location: str) -> str:
    egg = _EGG.search(location)
    if egg:
        return egg.group(1)
    archive = _ARCHIVE.search(location.split("#")[0].rstrip("/"))
    if archive:
        return archive.group(1)
    return location.split("#")[0].rstrip("/").rsplit("/", 1)[-1] or location


def _looks_like_location(text: str) -> bool:
    if _URL_START.match(text):
        return True
    return text.startswith((".", "/", "~")) or (
        "/" in text and " @ " not in text and "@" not in text
    )


class RequirementsReader:
    """Reads one or more requirement files, sharing what was already read between them."""

    def __init__(self, rel: Rel) -> None:
        self.rel = rel
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
            parsed.problems.append(Problem(rule="parse-error", message=exc.message, path=rel))
            return
        source = "constraints" if constraint else "requirements"
        for number, line in logical_lines(text):
            line = _expand(line)
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
                            message=f"unknown pip option {option!r}",
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
        return self.rel((including.parent / location.split("#")[0]).resolve()) == "."

    def _include(
        self,
        path: Path,
        rel: str,
        number: int,
        match: re.Match[str],
        parsed: Parsed,
        stack: tuple[Path, ...],
    ) -> None:
        target_text = match.group(2).strip()
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
        target = (path.parent / target_text).resolve()
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
        if not target.is_file():
            parsed.problems.append(
                Problem(
                    rule="include-unreadable",
                    message=f"included file {target_text} does not exist: "
                    "its requirements are not checked",
                    path=rel,
                    line=number,
                )
            )
            return
        self._read(target, parsed, stack=(*stack, path), constraint=constraint)


def _unscannable(location: str, detail: str, rel: str, line: int, source: str) -> Dependency:
    return Dependency(
        name=_name_from_location(location),
        ecosystem=Ecosystem.PYPI,
        path=rel,
        line=line,
        kind=PinKind.UNSCANNABLE,
        detail=detail,
        source=source,
    )
