"""Finding the OpenAPI documents of a project, inside its root.

A document found by discovery or named by the repository's own configuration must be a
file inside the project once links are followed: ``openapi.yaml -> /etc/passwd`` is
reported, not read. A path the user names on the command line (or in the
environment, or a ``--config`` file) may point anywhere: it is theirs to choose, and
findings show it relative to the root (``../contracts/openapi.yaml``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from qualgate import policy

DEFAULT_SPECS = (
    "openapi.yaml",
    "openapi.yml",
    "openapi.json",
    "swagger.yaml",
    "swagger.yml",
    "swagger.json",
    "**/openapi*.yaml",
    "**/openapi*.yml",
    "**/openapi*.json",
)
# Besides the shared skip-list: folders that hold other projects' or generated copies of
# OpenAPI documents, not this project's own: `env` (a virtualenv by another common
# name), `target` (Maven/Cargo build output) and `.scratch` (throwaway installs such as
# the npm packages under benchmarks/.scratch, full of their own openapi*.yaml fixtures).
SKIP_DIRS = policy.SKIP_DIRS | {"env", "target", ".scratch"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Found:
    """A document to check: where it is, how findings name it, whether it may be read."""

    path: Path
    rel: str
    # False: a file (or a link to one) outside the project that the repository chose.
    readable: bool = True


def shown(path: Path, root: Path) -> str:
    """``path`` as findings name it: relative to ``root`` with ``/`` (``../x`` outside it).

    Never absolute: the verdict schema forbids it and SARIF would carry the runner's
    file system layout.
    """
    absolute = Path(os.path.abspath(path))
    base = Path(os.path.abspath(root))
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        pass
    try:
        return Path(os.path.relpath(absolute, base)).as_posix()
    except ValueError:  # pragma: no cover - another drive on Windows
        return absolute.name


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, links followed, is inside ``root`` (links followed too)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def discover(root: Path, patterns: Iterable[str], *, trusted: bool = False) -> list[Found]:
    """Files matching the globs, outside environment and build folders.

    ``trusted`` says the patterns come from the user (command line, environment,
    ``--config``): files they name outside the root are read. A file inside the root
    that links out, or one outside named by the repository's configuration, is
    returned unreadable, so the gate reports it instead of reading it.
    """
    patterns = tuple(patterns)
    found: set[Path] = set()
    recursive = [p[3:] for p in patterns if p.startswith("**/")]
    for pattern in patterns:
        if pattern.startswith("**/"):
            continue
        if Path(pattern).is_absolute():
            # pathlib globs only relative patterns; an absolute path is taken as is. A
            # device or FIFO named so is kept: reading refuses it with a finding.
            if os.path.lexists(pattern) and not Path(pattern).is_dir():
                found.add(Path(pattern))
            continue
        try:
            matches = list(root.glob(pattern))
        except (ValueError, OSError):
            continue
        found.update(p for p in matches if not p.is_dir() and not _skipped(root, p))
    if recursive:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
            for name in files:
                path = Path(folder) / name
                # PurePath.match anchors at the right: "v1/openapi.yaml" matches
                # "api/v1/openapi.yaml", "openapi*.json" any file so named.
                rel = PurePosixPath(path.relative_to(root).as_posix())
                if any(rel.match(pat) for pat in recursive):
                    found.add(path)
    out = []
    for path in sorted(found):
        # A path inside the project stays inside once links are followed, whoever named
        # it: the repository owns that link. Only a place the user named outside is theirs.
        readable = inside(path, root) or (trusted and not _lexically_inside(path, root))
        out.append(Found(path=path, rel=shown(path, root), readable=readable))
    return out


def _lexically_inside(path: Path, root: Path) -> bool:
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(root))


def _skipped(root: Path, path: Path) -> bool:
    try:
        parts = Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).parts[:-1]
    except ValueError:
        return False
    return any(p in SKIP_DIRS for p in parts)
