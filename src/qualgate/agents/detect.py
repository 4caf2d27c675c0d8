"""Which gates apply to a project, from what is in it (for ``qualgate init``).

Tests (a tests folder or test files): run-tests. Python code: lint-format. OpenAPI
documents or a FastAPI app: openapi-lint. ``alembic.ini``: migration-check. A ``seeds``
folder: seed. Dependency files: dependency-scan. An ``artifacts`` folder:
artifact-validate. A git repository: integrity.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from qualgate.agents.profile import ordered
from qualgate.fsutil import ReadRefused, read_bytes_bounded
from qualgate.policy import SKIP_DIRS

MAX_FILES = 20_000
_DEPENDENCY_FILES = (
    "requirements.txt",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "Pipfile",
    "pdm.lock",
    "pylock.toml",
    "setup.py",
    "setup.cfg",
)


def _files(root: Path) -> Iterator[Path]:
    count = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(names):
            count += 1
            if count > MAX_FILES:
                return
            yield Path(folder) / name


def _head(path: Path, size: int = 4096) -> bytes:
    try:
        return read_bytes_bounded(path, 64 * 1024 * 1024)[:size]
    except (OSError, ReadRefused):
        return b""


def in_git(root: Path) -> bool:
    return any((folder / ".git").exists() for folder in (root, *root.resolve().parents))


def detect(root: Path) -> list[str]:
    """The gates that apply to the project at ``root``, in ``all``'s order."""
    found: set[str] = set()
    if (root / "alembic.ini").is_file():
        found.add("migration-check")
    if (root / "seeds").is_dir():
        found.add("seed")
    if (root / "artifacts").is_dir():
        found.add("artifact-validate")
    if (root / "tests").is_dir() or (root / "test").is_dir():
        found.add("run-tests")
    if any((root / name).is_file() for name in _DEPENDENCY_FILES) or _declares_deps(root):
        found.add("dependency-scan")
    for path in _files(root):
        name = path.name
        if name.endswith(".py"):
            found.add("lint-format")
            if name.startswith("test_") or name.endswith("_test.py"):
                found.add("run-tests")
            if "openapi-lint" not in found and b"fastapi" in _head(path, 65536).lower():
                found.add("openapi-lint")
        elif name.startswith("requirements") and name.endswith(".txt"):
            found.add("dependency-scan")
        elif name.endswith((".yaml", ".yml", ".json")) and "openapi-lint" not in found:
            head = _head(path)
            if b"openapi:" in head or b'"openapi"' in head or b"swagger:" in head:
                found.add("openapi-lint")
    if in_git(root):
        found.add("integrity")
    return ordered(found)


def _declares_deps(root: Path) -> bool:
    return b"dependencies" in _head(root / "pyproject.toml", 1024 * 1024)


def install_command(root: Path) -> str | None:
    """How CI installs the project into ``.venv`` (run-tests runs the tests with it)."""
    if (root / "requirements.txt").is_file():
        what = "-r requirements.txt"
    elif (root / "pyproject.toml").is_file():
        what = "-e ."
    else:
        return None
    return f"python -m venv .venv && .venv/bin/python -m pip install {what} pytest coverage"
