"""Input formats: detection by file name, and one parser per format.

``collect`` reads the named files (``--file``) or the ones found in the project root (and a
workspace lock found upward, `discover`), and the installed environment with ``--installed``.
Every format's parser returns dependencies located at file and line; a file that cannot be
parsed becomes a problem at its line. No file outside the repository is read.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from qualgate.errors import GateError
from qualgate.gates.dependency_scan.model import Inputs, Problem
from qualgate.gates.dependency_scan.sources import npm, pdm, pipfile, poetry, pylock, pyproject, uv
from qualgate.gates.dependency_scan.sources._common import Parsed, Rel, SourceError
from qualgate.gates.dependency_scan.sources.requirements import RequirementsReader

# Lock files that pin a whole project: a project that has one is judged by it.
LOCK_FORMATS = frozenset({"poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "pylock.toml"})

Parser = Callable[[Path, Rel], Parsed]

# File name patterns -> format; the first match wins.
FORMATS: tuple[tuple[str, str], ...] = (
    ("poetry.lock", "poetry.lock"),
    ("uv.lock", "uv.lock"),
    ("Pipfile.lock", "Pipfile.lock"),
    ("pdm.lock", "pdm.lock"),
    ("pylock.toml", "pylock.toml"),
    ("pylock.*.toml", "pylock.toml"),
    ("package-lock.json", "package-lock.json"),
    ("npm-shrinkwrap.json", "package-lock.json"),
    ("pyproject.toml", "pyproject"),
    ("*.txt", "requirements"),
    ("*.in", "requirements"),
)

_PARSERS: dict[str, Parser] = {
    "poetry.lock": poetry.parse,
    "uv.lock": uv.parse,
    "Pipfile.lock": pipfile.parse,
    "pdm.lock": pdm.parse,
    "pylock.toml": pylock.parse,
    "package-lock.json": npm.parse,
    "pyproject": pyproject.parse,
}

# What auto-detection looks for in the project root (and requirements/ folders).
DETECTED = (
    "*requirements*.txt",
    "*requirements*.in",
    "requirements/*.txt",
    "requirements/*.in",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "pdm.lock",
    "pylock.toml",
    "pylock.*.toml",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pyproject.toml",
)


def format_of(path: Path) -> str | None:
    for pattern, fmt in FORMATS:
        if fnmatch.fnmatchcase(path.name, pattern):
            return fmt
    return None


def detect(root: Path) -> list[Path]:
    """Dependency files in the project root, in a stable order.

    ``X.in`` is left out when ``X.txt`` sits beside it (pip-compile's input and output:
    the ``.txt`` holds the pins that get installed).
    """
    found: list[Path] = []
    for pattern in DETECTED:
        for path in sorted(root.glob(pattern)):
            # Not only regular files: a link or FIFO under a dependency file's name is a
            # finding (file-unreadable), never silently skipped and never read.
            if not path.is_dir() and path not in found:
                found.append(path)
    return [p for p in found if not (p.suffix == ".in" and p.with_suffix(".txt") in found)]


def read_files(paths: Sequence[Path], rel: Rel, top: Path) -> Inputs:
    """Parse ``paths`` (each by its file name's format) into located dependencies.

    ``top`` is the repository's real root: a file that resolves outside it is not read.
    """
    total = Parsed()
    requirements = RequirementsReader(rel, top)
    for path in paths:
        fmt = format_of(path)
        if fmt is None:
            raise GateError(
                f"--file {rel(path)}: unknown dependency file format",
                "name a requirements*.txt/*.in, pyproject.toml, poetry.lock, uv.lock, "
                "Pipfile.lock, pylock.toml, pdm.lock or package-lock.json file",
            )
        if not os.path.lexists(path) or path.is_dir():
            raise GateError(f"--file {rel(path)}: no such file")
        real = path.resolve()
        if not real.is_relative_to(top):
            total.files.append(rel(path))
            total.problems.append(
                Problem(
                    rule="file-unreadable",
                    message="not read: it leads outside the repository (a symbolic link?)",
                    path=rel(path),
                )
            )
            continue
        if fmt == "requirements":
            total.extend(requirements.read(path))
            continue
        try:
            total.extend(_PARSERS[fmt](path, rel))
        except SourceError as exc:
            total.files.append(rel(path))
            total.problems.append(
                Problem(rule=exc.rule, message=exc.message, path=rel(path), line=exc.line)
            )
        except RecursionError:
            total.files.append(rel(path))
            total.problems.append(
                Problem(rule="parse-error", message="nested too deeply to read", path=rel(path))
            )
    return Inputs(
        dependencies=tuple(total.dependencies),
        problems=tuple(total.problems),
        files=tuple(total.files),
        locked=frozenset(total.locked),
        locks=tuple(total.locks),
        consulted=tuple(total.consulted),
    )
