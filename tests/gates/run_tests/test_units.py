"""run-tests internals of this issue, in-process: reruns in the events, one-cause grouping,
what qualgate takes from pytest-cov's options, and the report's context decision."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest

from qualgate.gates.run_tests import findings, judge, results
from qualgate.gates.run_tests.inproject import _qualgate_covreport as covreport
from qualgate.gates.run_tests.inproject import _qualgate_measure as measure
from qualgate.gates.run_tests.results import Problem


def _rel(path: str) -> str:
    return path


def test_events_of_pytest_rerunfailures_make_a_flaky_test() -> None:
    # pytest-rerunfailures logs a failed attempt with outcome "rerun" and `rerun` = the
    # number of earlier attempts (0 for the first); the plugin turns that into `attempt`.
    failure = {"path": "t.py", "line": 4, "message": "AssertionError: once", "crash": None}
    events = [
        {"event": "start", "pytest": "8", "measuring": True, "reruns": 0},
        {
            "event": "test",
            "nodeid": "t.py::test_a",
            "location": ["t.py", 2],
            "phases": [
                {"when": "setup", "outcome": "passed", "duration": 0, "attempt": 1},
                {
                    "when": "call",
                    "outcome": "rerun",
                    "duration": 0,
                    "attempt": 1,
                    "failure": failure,
                },
                {"when": "teardown", "outcome": "passed", "duration": 0, "attempt": 1},
                {"when": "setup", "outcome": "passed", "duration": 0, "attempt": 2},
                {"when": "call", "outcome": "passed", "duration": 0, "attempt": 2},
                {"when": "teardown", "outcome": "passed", "duration": 0, "attempt": 2},
            ],
        },
        {"event": "finish", "exitstatus": 0},
    ]
    res = results.parse(events, _rel)
    assert (res.counts["passed"], res.counts["failed"], res.counts["flaky"]) == (1, 0, 1)
    [problem] = res.problems
    assert problem.kind == "flaky"
    assert problem.attempts == 2
    assert problem.message == "AssertionError: once (attempt 1 failed; attempt 2 passed)"
    assert (problem.path, problem.line) == ("t.py", 4)


def _problem(n: int, message: str, *, kind: str = "error", line: int = 9) -> Problem:
    return Problem(
        kind=kind,
        nodeid=f"t.py::test_{n}",
        when="setup" if kind == "error" else "call",
        path="t.py",
        line=n,
        message=message,
        exception="OSError",
        origin={"path": "/usr/lib/python3/socket.py", "line": line},
        where={"path": "conftest.py", "line": 12},
    )


def test_three_alike_are_one_cause_two_are_not() -> None:
    two = [_problem(n, "OSError: down at 0x7f00aa") for n in range(2)]
    found, causes = findings.findings_for(two)
    assert len(found) == 2 and causes == []
    # Object addresses differ from test to test; the cause is the same.
    three = [_problem(n, f"OSError: down at 0x7f00a{n}") for n in range(3)]
    found, causes = findings.findings_for([*three, _problem(7, "other", line=3)])
    assert len(found) == 2
    assert len(causes) == 1
    cause = found[0]
    assert cause.message == "3 tests errored in setup: OSError: down at 0x7f00a0"
    # The crash site is in the standard library: the finding sits at the project's frame.
    assert (cause.path, cause.line) == ("conftest.py", 12)
    assert cause.data["nodeids"] == ["t.py::test_0", "t.py::test_1", "t.py::test_2"]


def test_a_cause_leads_the_summary_only_when_it_is_most_failures() -> None:
    alike = [_problem(n, "OSError: down") for n in range(3)]
    different = [_problem(10 + n, f"AssertionError: {n}", kind="failed", line=n) for n in range(5)]
    counts = dict.fromkeys(results.OUTCOMES, 0) | {"errors": 3, "failed": 5}
    res = results.TestResults(
        counts=counts, durations={}, problems=(*alike, *different), started=True, finished=True
    )
    settings = judge.Settings(coverage_min=0, changed_min=0, integration_min=0, file_min=0)
    verdict = judge.build(
        judge.Inputs(results=res, coverage=None, changed=None, command=(), pytest_ms=1), settings
    )
    assert verdict.summary == "0 passed, 5 failed, 3 errors"
    assert len(verdict.findings) == 6  # one for the cause, five failures


def _namespace(**values: Any) -> argparse.Namespace:
    base = {"cov_source": [], "cov_config": ".coveragerc", "cov_branch": None}
    return argparse.Namespace(**(base | values))


class _EarlyConfig:
    def __init__(self, namespace: argparse.Namespace) -> None:
        self.known_args_namespace = namespace


@pytest.mark.parametrize(
    ("cov_source", "expected"),
    [
        (["app", "lib/"], ["app", "lib/"]),
        ([True], None),  # a bare --cov: no source filter
        (["app", True], None),
        ([""], None),  # --cov=
    ],
)
def test_pytest_cov_options_are_taken_and_pytest_cov_switched_off(
    cov_source: list[Any], expected: list[str] | None
) -> None:
    namespace = _namespace(cov_source=cov_source, cov_config="ci/cov.ini", cov_branch=True)
    taken = measure._take_over_pytest_cov(_EarlyConfig(namespace))
    assert taken == {"source": expected, "config": "ci/cov.ini", "branch": True}
    # pytest-cov starts only when this is non-empty when its own hook runs.
    assert namespace.cov_source == []


def test_pytest_cov_not_asked_to_measure_is_left_alone() -> None:
    assert measure._take_over_pytest_cov(_EarlyConfig(_namespace())) is None
    assert measure._take_over_pytest_cov(_EarlyConfig(argparse.Namespace())) is None


def test_default_cov_config_is_coverage_s_own_search() -> None:
    assert measure._config_file(".coveragerc") is True
    assert Path(measure._config_file("ci/cov.ini")).is_absolute()


def test_not_asked_to_measure_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (measure.MEASURE_ENV, measure.SPEC_ENV, "PYTEST_XDIST_WORKER"):
        monkeypatch.delenv(name, raising=False)
    namespace = _namespace(cov_source=["app"])
    assert measure.begin(_EarlyConfig(namespace)) is None
    assert namespace.cov_source == ["app"]  # pytest-cov keeps working in such a run
    # A nested pytest inside an xdist worker of another run is not that run's worker.
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setenv(measure.SPEC_ENV, '{"pid": 1}')
    assert measure.begin(_EarlyConfig(namespace)) is None
    assert measure.active() is None


def test_report_shows_contexts_only_for_qualgate_labels(tmp_path: Path) -> None:
    import coverage

    cov = coverage.Coverage(data_file=str(tmp_path / "d"), config_file=False)
    data = cov.get_data()
    data.set_context("qualgate:unit")
    data.add_lines({str(tmp_path / "m.py"): [1]})
    assert covreport._labelled(cov) is True
    other = coverage.Coverage(data_file=str(tmp_path / "e"), config_file=False)
    other_data = other.get_data()
    other_data.set_context("tests/test_x.py::test_y|run")
    other_data.add_lines({str(tmp_path / "m.py"): [1]})
    assert covreport._labelled(other) is False


def test_the_plugin_runs_on_the_oldest_supported_python() -> None:
    # The plugin runs in the project's interpreter: no syntax newer than Python 3.8.
    import ast

    folder = Path(covreport.__file__).parent
    for path in folder.glob("_qualgate_*.py"):
        ast.parse(path.read_text(encoding="utf-8"), feature_version=(3, 8))
    assert sys.version_info >= (3, 8)
