"""Interpreters for the run-tests tests: the projects' own, with their own tool versions.

Real projects pin their pytest, coverage, pytest-cov and pytest-xdist; the gate has to
work with theirs. Each venv is built once per test session (under the session's temp
folder, shared by the xdist workers through a lock) from PyPI.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# coverage 7.x with pytest-cov 7, greenlet, gevent, a coverage plugin, pytest-rerunfailures.
MODERN = (
    "pytest>=8",
    "pytest-xdist>=3.5",
    "pytest-cov>=6",
    "coverage==7.11.0",
    "greenlet>=3",
    "gevent>=24",
    "coverage-conditional-plugin>=0.9",
    "pytest-rerunfailures>=14",
)
# What a project pinned in 2022: coverage 6.4, pytest-cov 4.1, pytest 7.
OLD = (
    "pytest==7.4.4",
    "pytest-xdist==3.3.1",
    "pytest-cov==4.1.0",
    "coverage[toml]==6.4.4",
)


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    # Under xdist each worker has its own basetemp below one shared folder of the session.
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = root / "run-tests-venvs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_venv(root: Path, name: str, requirements: tuple[str, ...]) -> str:
    target = root / name
    python = target / "bin" / "python"
    ready = target / ".ready"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
            done = subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    *requirements,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                pytest.fail(f"cannot build the {name} venv: {done.stderr[-2000:]}")
            ready.write_text("\n".join(requirements) + "\n")
    return str(python)


@pytest.fixture(scope="session")
def modern_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_venv(_shared_root(tmp_path_factory), "modern", MODERN)


@pytest.fixture(scope="session")
def old_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_venv(_shared_root(tmp_path_factory), "old", OLD)
