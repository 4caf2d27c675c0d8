"""Virtual environments with the tools real projects pin, built once per test session.

Each is a real `python -m venv` with real packages from the package index, cached under
the session's temp dir; tests that use them are marked slow.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = ("black", "isort", "flake8", "flake8-bugbear", "pylint", "pyright")


def _venv(where: Path, *packages: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True)
    python = where / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"pip install {' '.join(packages)} failed:\n{done.stderr[-2000:]}")
    return python


@pytest.fixture(scope="session")
def tools_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter with black, isort, flake8 (+ bugbear), pylint and pyright."""
    return _venv(tmp_path_factory.mktemp("venv-tools") / "venv", *TOOLS)


@pytest.fixture(scope="session")
def old_mypy_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter with mypy 0.971, which has no JSON output."""
    return _venv(tmp_path_factory.mktemp("venv-mypy0971") / "venv", "mypy==0.971")
