"""What to measure when the project names nothing: its own packages.

Without ``source`` (coverage config) or ``--cov=PKG`` (pytest-cov), coverage.py measures
whatever runs outside the standard library and site-packages, so a module no test imports
is simply absent and the total looks better than it is. qualgate then measures the
project's own code as ``pytest --cov=PKG`` would, so an unimported module counts as 0%:

1. the package named in ``[project] name`` (``src/<name>/`` or ``<name>/``);
2. else every package under ``src/``;
3. else every top-level package (a folder with ``__init__.py``) that is not tests, docs
   or examples;
4. else the top-level modules that are not tests or tooling (measured when imported:
   coverage.py finds unimported files only inside package folders).

The result is a list of root-relative folders and module names (coverage's ``source``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from qualgate.fsutil import read_text_bounded
from qualgate.policy import SKIP_DIRS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_NOT_CODE = frozenset(
    {
        "tests",
        "test",
        "testing",
        "docs",
        "doc",
        "examples",
        "example",
        "benchmarks",
        "scripts",
        "tools",
        "migrations",
        "alembic",
    }
)
_TOOLING = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py", "tasks.py"})
_MAX_PYPROJECT = 1 << 20


def detect(root: Path) -> list[str]:
    """The project's own packages (root-relative, ``/``-separated), or modules; maybe []."""
    name = _project_name(root)
    if name:
        for candidate in (f"src/{name}", name):
            if (root / candidate / "__init__.py").is_file():
                return [candidate]
    src = root / "src"
    if src.is_dir():
        found = [
            f"src/{d.name}"
            for d in _dirs(src)
            if (d / "__init__.py").is_file() or any(d.glob("*.py"))
        ]
        if found:
            return found
    packages = [
        d.name
        for d in _dirs(root)
        if (d / "__init__.py").is_file()
        and d.name.lower() not in _NOT_CODE
        and not d.name.lower().startswith("test")
    ]
    if packages:
        return packages
    return [
        f.stem
        for f in sorted(root.glob("*.py"))
        if f.is_file()
        and f.name not in _TOOLING
        and not _is_test_file(f.name)
        and f.stem.isidentifier()
    ]


def _dirs(parent: Path) -> list[Path]:
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return []
    return [
        d
        for d in entries
        if d.is_dir()
        and not d.is_symlink()
        and d.name.isidentifier()
        and d.name not in SKIP_DIRS
        and not d.name.startswith((".", "_"))
    ]


def _is_test_file(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py") or name == "test.py"


def _project_name(root: Path) -> str | None:
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(read_text_bounded(path, _MAX_PYPROJECT))
    except (OSError, ValueError, RecursionError):
        return None
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str):
        return None
    # PEP 503 normalization, then the usual import name.
    module = re.sub(r"[-_.]+", "_", name).lower()
    return module if module.isidentifier() else None
