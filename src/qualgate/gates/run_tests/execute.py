"""Running pytest in the project's interpreter, measured, and reading what it did.

The command is ``python -m pytest -p _qualgate_pytest [ARGS after --]``: the same run a
user would type, plus our plugin, which starts coverage.py in the controller and in every
xdist worker (taking over from pytest-cov, whose options it honours) and reports every
outcome as JSON events. pytest's exit code says which kind of ending it was; the events
say what happened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualgate import process
from qualgate.errors import GateError, ToolTimeout
from qualgate.gates.run_tests import cov as cov_mod
from qualgate.gates.run_tests import results as results_mod
from qualgate.gates.run_tests.cov import INPROJECT_DIR, clean_env

PLUGIN = "_qualgate_pytest"
# The oldest coverage.py the plugin drives, and the command that brings a newer one.
UPGRADE = "'coverage>=7'"
# pytest's exit codes (pytest.ExitCode).
OK, TESTS_FAILED, INTERRUPTED, INTERNAL_ERROR, USAGE_ERROR, NO_TESTS = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True, kw_only=True, slots=True)
class PytestRun:
    argv: tuple[str, ...]
    returncode: int
    duration_ms: int
    results: results_mod.TestResults
    events: tuple[Mapping[str, object], ...]
    stderr_tail: str


def install_hint(python: str, missing: Sequence[str] = ("pytest", "coverage")) -> str:
    return f"`{python} -m pip install {' '.join(missing)}`"


def run_pytest(
    *,
    python: str,
    root: Path,
    workdir: Path,
    extra_args: Sequence[str],
    env: Mapping[str, str],
    timeout: float,
    relpath: results_mod.RelPath,
    detected: Sequence[str] = (),
    report: Mapping[str, str] | None = None,
) -> PytestRun:
    """Run the suite; raise `GateError` when pytest could not give an answer.

    ``detected``: what to measure when the project configures no source (absolute paths
    or module names). ``report``: where the plugin writes the combined data file and the
    JSON report at the end of the run (``{"data_file": ..., "out": ...}``).
    """
    events_file = workdir / "events.jsonl"
    argv = [python, "-m", "pytest", "-p", PLUGIN, *extra_args]
    pythonpath = os.pathsep.join(p for p in (str(INPROJECT_DIR), os.environ.get("PYTHONPATH")) if p)
    data_file = str(workdir / ".coverage")
    full_env: dict[str, str | None] = {
        **env,
        "PYTHONPATH": pythonpath,
        "QUALGATE_RT_EVENTS": str(events_file),
        "QUALGATE_RT_MEASURE": json.dumps({"data_file": data_file, "detected": list(detected)}),
        "COVERAGE_FILE": data_file,
        "QUALGATE_RT_REPORT": json.dumps(dict(report)) if report else None,
        **clean_env(root),
    }
    try:
        done = process.run(argv, cwd=root, timeout=timeout, env=full_env)
    except ToolTimeout as exc:
        found = results_mod.parse(results_mod.read_events(events_file), relpath)
        running = ", ".join(found.running[:10]) or "none had started (stuck in collection?)"
        more = f" (+{len(found.running) - 10} more)" if len(found.running) > 10 else ""
        raise GateError(
            f"the test suite did not finish within {timeout:.0f}s; running: {running}{more}",
            "look for a hung test (a lock, a socket, input()), or raise --timeout",
        ) from exc
    except GateError as exc:  # ToolMissing: the interpreter itself is not runnable
        raise GateError(
            f"cannot run the project's python {python}: {exc.reason}",
            "point --python at the project's interpreter (e.g. .venv/bin/python)",
        ) from exc
    events = results_mod.read_events(events_file)
    found = results_mod.parse(events, relpath)
    tail = _tail(done.stderr) or _tail(done.stdout)
    if found.coverage_problem is not None:
        _explain_coverage_problem(python, found.coverage_problem)
    conftest_broken = any(p.kind == "collect" for p in found.problems)
    if not found.started and not conftest_broken:
        _explain_no_start(python, root, done.returncode, tail)
    code = done.returncode
    if found.started and not found.finished and found.running and not conftest_broken:
        # Killed mid-test (os._exit, a signal, a crash in C code): whatever the exit code
        # says (os._exit(3) looks like an internal error), name the tests that were running.
        _abrupt_end(python, code, found, tail)
    if code == INTERNAL_ERROR and not conftest_broken:
        raise GateError(f"pytest crashed with an internal error: {tail}", _see(python))
    if code == USAGE_ERROR and not conftest_broken:
        raise GateError(
            f"pytest usage error: {tail}",
            "check the arguments given after `--` and the project's pytest addopts",
        )
    if code == INTERRUPTED and not any(p.kind == "collect" for p in found.problems):
        raise GateError(f"pytest was interrupted: {tail}", _see(python))
    if conftest_broken and not found.started:
        code = INTERRUPTED  # a conftest.py that does not import: a collection error
    elif code not in (OK, TESTS_FAILED, INTERRUPTED, NO_TESTS) or not found.finished:
        _abrupt_end(python, code, found, tail)
    if code == TESTS_FAILED and not found.problems:
        # Never turn a failing run into a pass because its failures were not reported to us.
        raise GateError(
            f"pytest reported failures that the gate did not see: {tail}",
            _see(python),
        )
    return PytestRun(
        argv=tuple(done.argv),
        returncode=code,
        duration_ms=done.duration_ms,
        results=found,
        events=tuple(events),
        stderr_tail=tail,
    )


def _abrupt_end(python: str, code: int, found: results_mod.TestResults, tail: str) -> None:
    running = ", ".join(found.running[:5])
    where = f" while running {running}" if running else ""
    raise GateError(
        f"pytest ended abnormally (exit code {code}){where}: {tail or 'no output'}",
        "a test or fixture may have killed the process (os._exit, a signal, a crash in "
        f"C code); {_see(python)}",
    )


def _explain_coverage_problem(python: str, problem: Mapping[str, object]) -> None:
    kind = problem.get("problem")
    error = str(problem.get("error") or "")
    if kind == "missing":
        raise GateError(
            f"coverage is not installed in the project's python ({python})",
            f"install it: `{python} -m pip install coverage` (or point --python at the right "
            "interpreter)",
        )
    if kind == "too-old":
        raise GateError(
            f"coverage {problem.get('version')} in the project's python is too old to measure "
            "the run (5.5 or later is needed)",
            f"upgrade it: `{python} -m pip install --upgrade {UPGRADE}`",
        )
    if kind == "start":
        raise GateError(
            f"coverage could not start measuring: {error}",
            f"check the project's coverage configuration (`{python} -m coverage debug config`)",
        )
    raise GateError(
        f"coverage could not save what it measured: {error}",
        f"check the project's coverage configuration (`{python} -m coverage debug config`)",
    )


def _see(python: str) -> str:
    return f"run `{python} -m pytest` in the project to see pytest's own output"


def _tail(text: str) -> str:
    """The line that names the problem, for a human (the verdict's status is not read here)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    usage = [line for line in lines if ": error: " in line]
    internal = [line for line in lines if line.startswith("INTERNALERROR>")]
    errors = [line for line in lines if line.startswith(("ERROR:", "E   "))]
    # argparse names the bad argument; an internal error's last line is the exception.
    chosen = usage[:1] or internal[-1:] or errors[:1] or lines[-1:]
    return chosen[0][:300] if chosen else ""


def _explain_no_start(python: str, root: Path, code: int, tail: str) -> None:
    """pytest never reached our plugin: find out whether pytest or coverage is missing."""
    # qualgate's own coverage stands in for a project without one (cov.our_coverage).
    needed = ("pytest",) if cov_mod.our_coverage() else ("pytest", "coverage")
    probe = (
        "import importlib.util, json; print(json.dumps("
        f"[m for m in {needed!r} if importlib.util.find_spec(m) is None]))"
    )
    missing: list[str] = []
    try:
        done = process.run([python, "-c", probe], cwd=root, timeout=60)
        missing = list(json.loads(done.stdout.strip() or "[]"))
    except (GateError, ValueError):
        missing = []
    if missing:
        raise GateError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed "
            f"in the project's python ({python})",
            f"install {'it' if len(missing) == 1 else 'them'}: {install_hint(python, missing)} "
            "(or point --python at the right interpreter)",
        )
    if code == USAGE_ERROR:
        raise GateError(
            f"pytest usage error: {tail}",
            "check the arguments given after `--` and the project's pytest addopts",
        )
    raise GateError(
        f"pytest did not start (exit code {code}): {tail or 'no output'}",
        _see(python),
    )
