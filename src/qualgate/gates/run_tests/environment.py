"""Tests that ran in the wrong interpreter: an error naming the right one, not a failure.

- With no ``--python``, no venv of the project or its workspace and no active virtualenv,
run-tests runs pytest in qualgate's own interpreter (`qualgate.pyenv`): right when the
project is installed beside qualgate, wrong for an isolated install. When the tests then
fail to import a third-party module, the verdict is not the code's fault: it is an
``error`` naming the interpreter to pass, never a ``fail`` an agent would "fix".
- A suite that fails on a Python the project does not support (``[project]
  requires-python``) says so, the same way.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from qualgate.errors import GateError
from qualgate.gates.run_tests.results import TestResults
from qualgate.pyenv import Interpreter, excluding

_HINT = (
    "`qualgate run-tests --python PATH/TO/python` (or QUALGATE_RUN_TESTS_PYTHON), e.g. after "
    "`python3 -m venv .venv && .venv/bin/pip install -e . pytest`"
)
_NO_MODULE = re.compile(r"No module named '([^']+)'")


def missing_modules(res: TestResults, root: Path) -> list[str]:
    """Top-level modules the tests failed to import that the project does not hold."""
    names = set()
    for problem in res.problems:
        if problem.exception != "ModuleNotFoundError":
            continue
        found = _NO_MODULE.search(problem.message)
        if found:
            name = found.group(1).split(".")[0]
            if not _in_project(name, root):
                names.add(name)
    return sorted(names)


def _in_project(name: str, root: Path) -> bool:
    """A module of the project itself (a path problem, not a missing dependency)."""
    return any(
        (folder / name).is_dir() or (folder / f"{name}.py").is_file()
        for folder in (root, root / "src")
    )


def preflight(interpreter: Interpreter) -> None:
    """Before the run: qualgate's own interpreter (the project has none) without pytest."""
    if interpreter.own or importlib.util.find_spec("pytest") is not None:
        return
    raise GateError(
        "no project interpreter found: the project has no .venv (nor its workspace) and no "
        f"virtualenv is active, and qualgate's own interpreter ({interpreter.path}) has no pytest",
        f"point run-tests at the project's interpreter: {_HINT}",
    )


def check(res: TestResults, interpreter: Interpreter, root: Path) -> None:
    """Raise `GateError` when the tests failed because of the interpreter they ran on."""
    failing = res.counts.get("failed", 0) + res.counts.get("errors", 0) + len(res.problems)
    if not failing:
        return
    _supported(res, interpreter, root)
    if interpreter.own:
        return
    missing = missing_modules(res, root)
    if not missing:
        return
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    raise GateError(
        f"the tests cannot import {shown}: they ran in qualgate's own interpreter "
        f"({interpreter.path}) because the project has no .venv (nor its workspace) and no "
        "virtualenv is active",
        f"point run-tests at the project's interpreter: {_HINT}; if qualgate's interpreter "
        "is the project's, install the missing dependencies there",
    )


def _supported(res: TestResults, interpreter: Interpreter, root: Path) -> None:
    """The project's ``requires-python`` excludes the interpreter the tests failed on."""
    spec = None if res.python_version is None else excluding(root, res.python_version)
    if spec is None:
        return
    raise GateError(
        f"the project requires Python {spec} and the tests ran on Python "
        f"{res.python_version} ({interpreter.path})",
        "point run-tests at an interpreter the project supports: `qualgate run-tests "
        "--python PATH/TO/python` (or QUALGATE_RUN_TESTS_PYTHON), e.g. a venv made with "
        "that Python",
    )
