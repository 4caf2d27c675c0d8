"""Helpers of the run-tests tests: run the gate, and the reference numbers it must equal.

A coverage figure is only trusted against a reference run of the same suite in the same
interpreter: a plain serial ``coverage run -m pytest`` (the project's addopts cleared, so
neither pytest-cov nor xdist takes part), or the project's own pytest-cov run.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.support import Run, run_qualgate

TOLERANCE = 0.5  # points: the bar for "equals"


def rt(project: Path, python: str, *args: str, env: Mapping[str, str] | None = None) -> Run:
    """``qualgate run-tests`` with ``python`` as the project's interpreter."""
    words = list(args)
    cut = words.index("--") if "--" in words else len(words)
    words[cut:cut] = ["--format", "json"]
    return run_qualgate("run-tests", str(project), "--python", python, *words, env=env)


def _env() -> dict[str, str]:
    """Our own environment without anything a measuring parent (or xdist) set."""
    drop = ("COVERAGE_", "COV_CORE_", "PYTEST_XDIST_", "QUALGATE_RT_", "PYTEST_ADDOPTS")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _run(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(argv), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    if done.returncode not in (0, 1):
        raise AssertionError(f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def plain_coverage(
    python: str,
    project: Path,
    scratch: Path,
    *,
    source: Sequence[str] = (),
    pytest_args: Sequence[str] = (),
    rcfile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """coverage.py's JSON report of a plain serial ``coverage run -m pytest``."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = {**_env(), **(env or {}), "COVERAGE_FILE": str(scratch / ".coverage")}
    run = [python, "-m", "coverage", "run", "--parallel-mode"]
    if source:
        run.append("--source=" + ",".join(source))
    if rcfile:
        run.append(f"--rcfile={rcfile}")
    _run(
        [*run, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", *pytest_args],
        project,
        env,
    )
    tail = [f"--rcfile={rcfile}"] if rcfile else []
    _run([python, "-m", "coverage", "combine", "-q", *tail], project, env)
    out = scratch / "plain.json"
    _run([python, "-m", "coverage", "json", "-q", "-o", str(out), *tail], project, env)
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return report


def pytest_cov_total(python: str, project: Path, scratch: Path, *args: str) -> float:
    """The total of the project's own pytest-cov run (its addopts as they are)."""
    scratch.mkdir(parents=True, exist_ok=True)
    out = scratch / "theirs.json"
    env = {**_env(), "COVERAGE_FILE": str(scratch / ".coverage")}
    _run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", f"--cov-report=json:{out}", *args],
        project,
        env,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    return float(report["totals"]["percent_covered"])


def total(report: Mapping[str, Any]) -> float:
    return float(report["totals"]["percent_covered"])


def files_of(report: Mapping[str, Any]) -> dict[str, float]:
    return {
        name: float(entry["summary"]["percent_covered"]) for name, entry in report["files"].items()
    }
