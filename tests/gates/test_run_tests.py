"""run-tests gate, end to end: real pytest and coverage runs on small projects."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import FIXTURES, REPO, git, git_init, run_qualgate, write_files

BASIC = FIXTURES / "run_tests" / "basic"
PY = sys.executable


def rt(project: Path, *args: str) -> Any:
    """run-tests with our interpreter; ``--format json`` goes before any ``--``."""
    words = list(args)
    cut = words.index("--") if "--" in words else len(words)
    words[cut:cut] = ["--format", "json"]
    return run_qualgate("run-tests", str(project), "--python", PY, *words)


def by_rule(findings: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"] == rule]


def threshold(verdict: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((t for t in verdict["thresholds"] if t["name"] == name), None)


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("rt") / "basic"
    shutil.copytree(BASIC, target)
    return target


@pytest.fixture(scope="module")
def basic_run(basic: Path) -> Any:
    return rt(basic)


# ---------------------------------------------------------------------------
# A passing suite


def test_passing_suite_counts_and_coverage(basic_run: Any) -> None:
    assert basic_run.code == 0, basic_run.stdout
    v = basic_run.verdict
    assert v["status"] == "pass"
    m = v["metrics"]
    assert (m["passed"], m["failed"], m["errors"], m["skipped"]) == (10, 0, 0, 0)
    assert m["tests_collected"] == 10
    # 26 statements, 25 run (report.unused's body is not); 10 of 10 branches.
    assert (m["statements"], m["covered_lines"]) == (26, 25)
    assert (m["num_branches"], m["covered_branches"]) == (10, 10)
    assert m["coverage"] == pytest.approx(97.22)
    assert m["line_coverage"] == pytest.approx(96.15)
    assert m["branch_coverage"] == 100.0
    assert m["files"]["src/calc/report.py"] == {"coverage": 93.75, "statements": 12, "missing": 1}
    assert m["files"]["src/calc/ops.py"]["coverage"] == 100.0
    assert len(m["slowest"]) == 10
    assert all(set(s) == {"nodeid", "duration_s"} for s in m["slowest"])
    assert threshold(v, "coverage.total") == {
        "name": "coverage.total",
        "min": 80.0,
        "actual": 97.22,
        "ok": True,
    }
    assert [c["name"] for c in v["checks"]] == ["pytest", "coverage"]
    pytest_check = v["checks"][0]
    command = pytest_check["command"]
    # pytest itself, with our plugin; coverage is started by the plugin, not `coverage run`.
    assert command[1:5] == ["-m", "pytest", "-p", "_qualgate_pytest"]
    assert pytest_check["tool_version"] == pytest.__version__
    assert v["findings"] == []


def test_integration_split_by_marker_and_folder(basic_run: Any) -> None:
    v = basic_run.verdict
    # One test marked `integration`, one under tests/integration/.
    assert v["metrics"]["integration_tests"] == 2
    # Reached without the unit tests: import-time lines plus describe/total/add paths:
    # 15 of 26 statements.
    assert v["metrics"]["integration_coverage"] == pytest.approx(57.69)
    assert threshold(v, "coverage.integration") == {
        "name": "coverage.integration",
        "min": 50.0,  # from the fixture's [tool.qualgate.run-tests]
        "actual": 57.69,
        "ok": True,
    }


def test_integration_threshold_fails_and_lists_least_covered(basic: Path) -> None:
    run = rt(basic, "--integration-coverage-min", "60")
    assert run.code == 1
    v = run.verdict
    assert threshold(v, "coverage.integration")["ok"] is False
    assert v["metrics"]["least_covered"][0] == {
        "path": "src/calc/report.py",
        "coverage": 93.75,
        "missing_lines": "18",
    }
    assert any("coverage.integration 57.69% < 60%" in s for s in v["next_steps"])


def test_durations_recorded(basic_run: Any, basic: Path) -> None:
    data = json.loads((basic / ".qualgate" / "durations.json").read_text())
    assert sorted(data["tests"]) == sorted(
        [
            "tests/integration/test_flow.py::test_flow",
            "tests/test_ops.py::test_add",
            "tests/test_ops.py::test_sub",
            "tests/test_ops.py::test_div",
            "tests/test_ops.py::test_div_by_zero",
            "tests/test_ops.py::test_clamp[-1-0]",
            "tests/test_ops.py::test_clamp[5-5]",
            "tests/test_ops.py::test_clamp[11-10]",
            "tests/test_report.py::test_describe_empty",
            "tests/test_report.py::test_describe_values",
        ]
    )


def test_passthrough_args_reach_pytest(basic: Path) -> None:
    run = rt(basic, "--", "-k", "clamp")
    v = run.verdict
    assert v["metrics"]["passed"] == 3
    assert v["metrics"]["tests_selected"] == 3
    assert v["reproduce"].endswith("-- -k clamp")
    # Only the clamp tests ran: coverage falls below the default 80 and fails.
    assert run.code == 1
    assert threshold(v, "coverage.total")["ok"] is False


def test_xdist_workers_are_measured(basic: Path, basic_run: Any) -> None:
    pytest.importorskip("xdist")
    run = rt(basic, "--", "-n", "2")
    assert run.code == 0, run.stdout
    m, plain = run.verdict["metrics"], basic_run.verdict["metrics"]
    for key in ("passed", "coverage", "line_coverage", "covered_lines", "integration_coverage"):
        assert m[key] == plain[key], key


# ---------------------------------------------------------------------------
# Failures


FAILING = {
    "pyproject.toml": """\
[tool.pytest.ini_options]
# Options that would break parsing of the terminal or of a junit file we expected.
addopts = "-q --tb=no -rN --junitxml=their-own.xml -p no:cacheprovider"
""",
    "helper.py": """\
def check(value):
    assert value == 3, f"value was {value}"
""",
    "test_things.py": """\
import pytest

from helper import check


def test_ok():
    assert 1 + 1 == 2


def test_compare():
    expected = {"a": 1}
    assert expected == {"a": 2}


def test_via_helper():
    x = 1
    check(x)


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


def test_uses_broken(broken):
    pass


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_known_bug():
    assert False


@pytest.mark.xfail(reason="fixed already?")
def test_xpass():
    pass
""",
}


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    project = write_files(tmp_path_factory.mktemp("rt") / "failing", FAILING)
    return rt(project, "--coverage-min", "0")


def test_failing_tests_are_findings_at_file_and_line(failing_run: Any) -> None:
    assert failing_run.code == 1
    v = failing_run.verdict
    m = v["metrics"]
    counts = (m["passed"], m["failed"], m["errors"], m["skipped"], m["xfailed"], m["xpassed"])
    assert counts == (1, 2, 1, 1, 1, 1)
    failed = {f["data"]["nodeid"]: f for f in by_rule(v["findings"], "test-failed")}
    compare = failed["test_things.py::test_compare"]
    assert (compare["path"], compare["line"]) == ("test_things.py", 12)
    assert compare["severity"] == "error"
    assert "assert {'a': 1} == {'a': 2}" in compare["message"]
    assert compare["check"] == "pytest"
    # The failure is inside helper.py; the finding sits on the test's own line that
    # called it, and the crash site is kept in data.
    helper = failed["test_things.py::test_via_helper"]
    assert (helper["path"], helper["line"]) == ("test_things.py", 17)
    assert "value was 1" in helper["message"]
    assert helper["data"]["origin"] == {"path": "helper.py", "line": 2}
    [error] = by_rule(v["findings"], "test-error")
    assert error["data"]["when"] == "setup"
    assert (error["path"], error["line"]) == ("test_things.py", 22)
    assert "RuntimeError: fixture exploded" in error["message"]
    assert v["summary"].startswith("1 passed, 2 failed, 1 errors, 1 skipped, 1 xfailed, 1 xpassed")
    assert any("test_things.py::test_compare" in s for s in v["next_steps"])


def test_collection_errors_are_findings_at_the_file(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": "",
            "test_imports.py": "import os\nimport not_a_module_anywhere\n\n\ndef test_x():\n"
            "    pass\n",
            "test_syntax.py": "def test_y():\n    pass\n\ndef broken(:\n    pass\n",
            "test_fine.py": "def test_z():\n    pass\n",
        },
    )
    run = rt(project)
    assert run.code == 1
    v = run.verdict
    errors = {f["path"]: f for f in by_rule(v["findings"], "collection-error")}
    assert set(errors) == {"test_imports.py", "test_syntax.py"}
    assert errors["test_imports.py"]["line"] == 2
    assert "No module named 'not_a_module_anywhere'" in errors["test_imports.py"]["message"]
    assert errors["test_syntax.py"]["line"] == 4
    assert "SyntaxError" in errors["test_syntax.py"]["message"]
    assert v["metrics"]["collection_errors"] == 2
    assert "could not be collected" in v["summary"]
    # The tests did not run: no coverage verdict on a half-run suite.
    assert v["thresholds"] == []


def test_broken_conftest_is_a_collection_error(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "conftest.py": "import pytest\n\nfrom nowhere import fixture_helper\n",
            "test_a.py": "def test_a():\n    pass\n",
        },
    )
    run = rt(project)
    assert run.code == 1, run.stdout
    [finding] = by_rule(run.findings, "collection-error")
    assert (finding["path"], finding["line"]) == ("conftest.py", 3)
    assert "No module named 'nowhere'" in finding["message"]


def test_low_coverage_fails_with_least_covered_files(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": "[tool.coverage.run]\nsource = ['app']\n",
            "app/__init__.py": "",
            "app/good.py": "def f():\n    return 1\n",
            "app/bad.py": "def g(x):\n    if x:\n        return 1\n    y = x * 2\n    return y\n",
            "tests/test_app.py": "from app.good import f\nimport app.bad\n\n\ndef test_f():\n"
            "    assert f() == 1\n",
        },
    )
    run = rt(project, "--file-coverage-min", "50")
    assert run.code == 1
    v = run.verdict
    # good.py 2/2, bad.py 1/5 (only the def): 3 of 7 statements.
    assert v["metrics"]["coverage"] == pytest.approx(42.86)
    assert threshold(v, "coverage.total") == {
        "name": "coverage.total",
        "min": 80.0,
        "actual": 42.86,
        "ok": False,
    }
    assert v["metrics"]["least_covered"][0] == {
        "path": "app/bad.py",
        "coverage": 20.0,
        "missing_lines": "2-5",
    }
    [warning] = by_rule(v["findings"], "file-coverage")
    assert (warning["path"], warning["line"], warning["severity"]) == ("app/bad.py", 2, "warning")
    assert "least-covered files: app/bad.py (20.0%)" in v["next_steps"][-1]
    assert "coverage 42.86% (line, min 80%)" in v["summary"]


def test_no_tests_is_a_failure(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"pyproject.toml": "", "app.py": "X = 1\n"})
    run = rt(project)
    assert run.code == 1
    assert run.rules() == ["no-tests"]
    assert run.verdict["summary"] == "no tests were collected"


def test_no_test_selected_by_filter_is_a_failure(basic: Path) -> None:
    run = rt(basic, "--", "-k", "no_such_test_name")
    assert run.code == 1
    assert run.rules() == ["no-tests"]
    assert run.verdict["summary"] == "no tests ran: all 10 collected were deselected"
    assert run.verdict["metrics"]["tests_deselected"] == 10


# ---------------------------------------------------------------------------
# Errors: the gate could not answer


def test_pytest_missing_is_an_error_with_the_install_command(tmp_path: Path) -> None:
    env = tmp_path / "venv"
    subprocess.run([PY, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    project = write_files(tmp_path / "p", {"test_a.py": "def test_a():\n    pass\n"})
    run = run_qualgate("run-tests", str(project), "--python", str(python))
    assert run.code == 2
    v = run.verdict
    assert v["status"] == "error"
    # coverage.py is lent by qualgate (its own dependency); pytest is the project's to have.
    assert v["summary"].startswith("pytest is not installed in the project's python")
    assert f"install it: `{python} -m pip install pytest`" in v["next_steps"][0]


def test_missing_interpreter_is_an_error(tmp_path: Path) -> None:
    run = run_qualgate("run-tests", str(tmp_path), "--python", str(tmp_path / "nope" / "python"))
    assert run.code == 2
    assert "no such interpreter" in run.verdict["summary"]


def test_usage_error_is_an_error(basic: Path) -> None:
    run = rt(basic, "--", "--no-such-pytest-flag")
    assert run.code == 2
    assert run.verdict["summary"].startswith("pytest usage error")
    assert "--no-such-pytest-flag" in run.verdict["summary"]


def test_hung_suite_times_out_naming_the_running_test(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "test_slow.py": "import time\n\n\ndef test_quick():\n    pass\n\n\n"
            "def test_hangs():\n    time.sleep(60)\n",
        },
    )
    run = rt(project, "--timeout", "4")
    assert run.code == 2
    summary = run.verdict["summary"]
    assert "did not finish within" in summary
    assert "running: test_slow.py::test_hangs" in summary
    assert "test_quick" not in summary


def test_bad_shard_spec_is_a_usage_error(basic: Path) -> None:
    run = rt(basic, "--shard", "3/2")
    assert run.code == 2
    assert "K/N" in run.stdout + run.stderr


# ---------------------------------------------------------------------------
# Diff coverage


def test_changed_coverage_since_base(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": "[tool.coverage.run]\nsource = ['app']\n",
            "app/__init__.py": "",
            "app/core.py": "def f():\n    return 1\n",
            "tests/test_core.py": "from app.core import f\n\n\ndef test_f():\n"
            "    assert f() == 1\n",
        },
    )
    git_init(project)
    # A new, untested function (lines 5-8) and a tested change (line 2).
    (project / "app" / "core.py").write_text(
        "def f():\n    return 2 - 1\n\n\ndef g(x):\n    if x:\n        return x\n    return 0\n"
    )
    run = rt(project, "--base", "main", "--coverage-min", "0")
    assert run.code == 1
    v = run.verdict
    # Changed executable lines: 2, 5, 6, 7, 8; covered: 2 and 5 (the def runs on import).
    assert v["metrics"]["changed_statements"] == 5
    assert v["metrics"]["changed_covered"] == 2
    assert threshold(v, "coverage.changed") == {
        "name": "coverage.changed",
        "min": 80.0,
        "actual": 40.0,
        "ok": False,
    }
    [note] = by_rule(v["findings"], "uncovered-change")
    assert (note["path"], note["line"], note["severity"]) == ("app/core.py", 6, "note")
    assert "6-8" in note["message"]
    assert v["metrics"]["least_covered"][0]["path"] == "app/core.py"
    assert v["project"]["base"] == "main"

    # Only a comment changes: no executable line changed, the threshold does not apply.
    # (A second checkout: the changed lines of a root are cached for the process.)
    other = tmp_path / "other"
    shutil.copytree(project, other)
    git(other, "checkout", "-q", "--", ".")
    (other / "app" / "core.py").write_text("def f():\n    # one\n    return 1\n")
    run = rt(other, "--base", "main")
    assert run.code == 0, run.stdout
    assert threshold(run.verdict, "coverage.changed") is None
    assert "no executable lines changed since main" in run.verdict["summary"]
    assert run.verdict["metrics"]["changed_coverage"] is None


# ---------------------------------------------------------------------------
# The demo service


def test_demo_service_passes() -> None:
    demo = REPO / "examples" / "demo-service"
    run = run_qualgate("run-tests", str(demo), "--python", PY)
    assert run.code == 0, run.stdout
    v = run.verdict
    assert v["metrics"]["failed"] == 0
    assert v["metrics"]["passed"] >= 6
    assert threshold(v, "coverage.total")["min"] == 85.0


# ---------------------------------------------------------------------------
# More ways pytest can end


def test_internal_error_is_an_error(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "conftest.py": "def pytest_collection_modifyitems(items):\n"
            "    raise RuntimeError('plugin bug')\n",
            "test_a.py": "def test_a():\n    pass\n",
        },
    )
    run = rt(project)
    assert run.code == 2
    assert run.verdict["summary"].startswith("pytest crashed with an internal error")
    assert "plugin bug" in run.verdict["summary"]


def test_interrupted_run_is_an_error(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {"test_a.py": "def test_a():\n    raise KeyboardInterrupt\n"},
    )
    run = rt(project)
    assert run.code == 2
    assert run.verdict["summary"].startswith("pytest was interrupted")


def test_nothing_measured_is_an_error(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": "[tool.coverage.run]\nsource = ['not_imported_pkg']\n",
            "test_a.py": "def test_a():\n    pass\n",
        },
    )
    run = rt(project)
    assert run.code == 2
    assert run.verdict["summary"].startswith("coverage measured no files")
    assert "[tool.coverage.run] source" in run.verdict["next_steps"][0]


def test_interpreter_that_cannot_run_is_an_error(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("not a program")  # exists, but is not executable
    run = run_qualgate("run-tests", str(tmp_path), "--python", str(fake))
    assert run.code == 2
    assert "cannot run the project's python" in run.verdict["summary"]


def test_collection_errors_with_the_rest_of_the_suite_running(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "test_bad.py": "import nope\n",
            "test_good.py": "def test_a():\n    pass\n",
        },
    )
    run = rt(project, "--coverage-min", "0", "--", "--continue-on-collection-errors")
    assert run.code == 1
    assert run.verdict["summary"].startswith(
        "1 file could not be collected: ModuleNotFoundError: No module named 'nope'; 1 passed"
    )
    assert run.rules() == ["collection-error"]


def test_project_without_coverage_config_is_not_charged_for_our_plugin(tmp_path: Path) -> None:
    # No [tool.coverage] source: coverage measures whatever runs outside site-packages,
    # which includes qualgate's injected plugin when qualgate is installed from a checkout.
    project = write_files(
        tmp_path / "bare",
        {
            "calc.py": "def add(a, b):\n    return a + b\n",
            "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        },
    )
    run = rt(project, "--", "-p", "no:cacheprovider")
    assert run.code == 0, run.stdout
    files = run.verdict["metrics"]["files"]
    assert not [f for f in files if "_qualgate" in f or "/qualgate/" in f], files
    assert run.verdict["metrics"]["coverage"] == 100.0
