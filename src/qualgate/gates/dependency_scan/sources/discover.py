"""Where the project's dependency files are: its own folder, and a workspace lock above it.

In a uv workspace, a poetry or pdm monorepo, a member (``backend/``) has no lock of its own:
the lock sits at the workspace root. A lock is looked for upward from the project root to
the repository root (the nearest folder holding ``.git``; never above it, and not at all
outside a repository), and used only when it lists the project by name, so a sub-project
that is not a workspace member is not judged by its neighbour's lock.
"""

from __future__ import annotations

import os
from pathlib import Path

from qualgate.fsutil import read_text_bounded
from qualgate.gates.dependency_scan.model import normalize_name
from qualgate.gates.dependency_scan.sources._common import (
    SourceError,
    load_toml,
)
from qualgate.gates.dependency_scan.sources._lines import repository_root

__all__ = [
    "WORKSPACE_LOCKS",
    "project_name",
    "repository_root",
    "upward_candidates",
    "upward_locks",
]

# Lock files that may pin a workspace member from the workspace root, in order of preference.
WORKSPACE_LOCKS = ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml")
_PYPROJECT_LIMIT = 4 * 1024 * 1024


def project_name(root: Path) -> str | None:
    """The normalised name in ``pyproject.toml`` ([project] or [tool.poetry]), if any."""
    path = root / "pyproject.toml"
    try:
        data = load_toml(read_text_bounded(path, _PYPROJECT_LIMIT))
    except (OSError, UnicodeDecodeError, SourceError, ValueError):
        return None
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str):
        tool = data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        name = poetry.get("name") if isinstance(poetry, dict) else None
    return normalize_name(name) if isinstance(name, str) and name.strip() else None


def upward_candidates(root: Path, top: Path) -> list[Path]:
    """Every place a workspace lock is looked for (the answer depends on them existing)."""
    real = Path(os.path.realpath(root))
    if real == top or not real.is_relative_to(top):
        return []
    out = []
    for folder in real.parents:
        out += [folder / name for name in (*WORKSPACE_LOCKS, "pyproject.toml")]
        if folder == top:
            break
    return out


def upward_locks(root: Path, top: Path) -> list[Path]:
    """The lock files of the nearest folder above ``root`` (up to ``top``) that has any."""
    real = Path(os.path.realpath(root))
    if real == top or not real.is_relative_to(top):
        return []
    for folder in real.parents:
        found = [folder / name for name in WORKSPACE_LOCKS if (folder / name).is_file()]
        if found:
            return found
        if folder == top:
            break
    return []
