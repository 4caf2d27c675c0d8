"""How a run ends, told truthfully: no test run, many failures of one cause, flaky tests,
crashes, and a coverage.py that cannot measure."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.gates.run_tests.helpers import rt
from tests.support import run_qualgate, write_files

PY = sys.executable


def verdict_of(run: Any) -> dict[str, Any]:
    assert run.verdict is not None, run.stdout + run.stderr
    verdict: dict[str, Any] = run.verdict
    return verdict


def by_rule(verdict: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in verdict["findings"] if f["rule"] == rule]


# ---------------------------------------------------------------------------
# Zero tests executed


SKIPPING = {
    "pyproject.toml": "",
    "app.py": "def f():\n    return 1\n",
    "test_db.py": """\
import pytest

pytestmark = pytest.mark.skip(reason="needs the staging database")


def test_a():
    pass


def test_b():
    pass
""",
    "test_gpu.py": """\
import pytest


@pytest.mark.skipif(True, reason="no GPU here")
def test_c():
    pass
""",
}


def test_all_skipped_is_a_failure_that_says_so(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", SKIPPING)
    run = rt(project, PY)
    v = verdict_of(run)
    assert run.code == 1
    assert v["status"] == "fail"
    assert v["summary"] == (
        "no tests ran: all 3 tests were skipped (2x needs the staging database; 1x no GPU here)"
    )
    [finding] = by_rule(v, "no-tests")
    assert finding["data"] == {"why": "all-skipped"}
    assert finding["severity"] == "error"
    assert v["metrics"]["skipped"] == 3
    assert v["thresholds"] == []  # nothing ran: no coverage verdict either


def test_a_suite_meant_to_skip_here_says_so_in_config(tmp_path: Path) -> None:
    files = {**SKIPPING, "pyproject.toml": "[tool.qualgate.run-tests]\nallow-all-skipped = true\n"}
    project = write_files(tmp_path / "p", files)
    run = rt(project, PY)
    v = verdict_of(run)
    assert run.code == 0
    assert v["status"] == "skipped"
    assert v["summary"].endswith("; allowed by allow-all-skipped")
    assert v["findings"] == []
    # --require turns that skip into a failure, as for every gate.
    required = rt(project, PY, "--require")
    assert required.code == 1


def test_some_skipped_is_not_zero_tests(tmp_path: Path) -> None:
    files = {**SKIPPING, "test_ok.py": "from app import f\n\n\ndef test_f():\n    assert f()\n"}
    run = rt(write_files(tmp_path / "p", files), PY)
    v = verdict_of(run)
    assert run.code == 0, v["summary"]
    assert (v["metrics"]["passed"], v["metrics"]["skipped"]) == (1, 3)
    assert by_rule(v, "no-tests") == []
    # Why they were skipped, most common first (what `make test` prints).
    assert list(v["metrics"]["skip_reasons"].items()) == [
        ("needs the staging database", 2),
        ("no GPU here", 1),
    ]


def test_nothing_collected_and_all_deselected_say_which(tmp_path: Path) -> None:
    empty = rt(write_files(tmp_path / "e", {"pyproject.toml": "", "app.py": "X = 1\n"}), PY)
    assert by_rule(verdict_of(empty), "no-tests")[0]["data"] == {"why": "none-collected"}
    deselected = rt(write_files(tmp_path / "d", SKIPPING), PY, "--", "-k", "nothing_matches")
    assert by_rule(verdict_of(deselected), "no-tests")[0]["data"] == {"why": "all-deselected"}


# ---------------------------------------------------------------------------
# Many failures, one cause


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def database_down_project(port: int) -> dict[str, str]:
    tests = "".join(
        f"\n\ndef test_query_{n}(db):\n    assert db.sendall(b'select {n}') is None\n"
        for n in range(8)
    )
    return {
        "pyproject.toml": "",
        "conftest.py": f"""\
import socket

import pytest


@pytest.fixture
def db():
    conn = socket.create_connection(("127.0.0.1", {port}), timeout=2)
    yield conn
    conn.close()
""",
        "test_queries.py": "import pytest" + tests,
        "test_pure.py": "def test_pure():\n    assert 1 + 1 == 2\n",
    }


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]])
def test_database_down_is_named_once(tmp_path: Path, xdist: list[str]) -> None:
    project = write_files(tmp_path / "p", database_down_project(_closed_port()))
    run = rt(project, PY, "--coverage-min", "0", "--", *xdist)
    v = verdict_of(run)
    assert run.code == 1
    assert v["summary"].startswith(
        "8 tests errored in setup: ConnectionRefusedError: [Errno 111] Connection refused"
    ), v["summary"]
    assert "(1 passed, 8 errors)" in v["summary"]
    assert "no tests were collected" not in v["summary"]
    # One finding for the cause, naming the tests; not eight copies.
    [finding] = by_rule(v, "test-error")
    assert finding["data"]["count"] == 8
    assert len(finding["data"]["nodeids"]) == 8
    assert finding["data"]["when"] == "setup"
    # Where it is raised in the project: the fixture's line in conftest.py.
    assert (finding["path"], finding["line"]) == ("conftest.py", 8)
    # The next step names the cause once, first.
    assert v["next_steps"][0].startswith(
        "8 of 8 failures have one cause: ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert sum("Connection refused" in step for step in v["next_steps"]) == 1
    assert v["metrics"]["errors"] == 8


def test_missing_setting_breaks_every_test_module(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "",
        "app/__init__.py": "",
        "app/settings.py": "import os\n\nDATABASE_URL = os.environ['APP_DATABASE_URL']\n",
    }
    for n in range(4):
        files[f"tests/test_m{n}.py"] = "from app import settings\n\n\ndef test_x():\n    pass\n"
    run = rt(write_files(tmp_path / "p", files), PY)
    v = verdict_of(run)
    assert run.code == 1
    assert v["summary"] == (
        "4 files could not be collected: KeyError: 'APP_DATABASE_URL'; the tests did not run"
    )
    [finding] = by_rule(v, "collection-error")
    assert (finding["path"], finding["line"]) == ("app/settings.py", 3)
    assert finding["data"]["count"] == 4
    assert v["next_steps"][0].startswith("4 of 4 failures have one cause: KeyError")


def test_different_failures_stay_separate(tmp_path: Path) -> None:
    files = {
        "test_a.py": "".join(f"def test_{n}():\n    assert {n} == -1\n\n\n" for n in range(4)),
    }
    v = verdict_of(rt(write_files(tmp_path / "p", files), PY, "--coverage-min", "0"))
    assert len(by_rule(v, "test-failed")) == 4
    assert v["summary"].startswith("0 passed, 4 failed")


# ---------------------------------------------------------------------------
# Flaky vs failed


FLAKY = {
    "pyproject.toml": "",
    "conftest.py": """\
import os
from pathlib import Path

import pytest


def first_time(name):
    marker = Path(os.environ["FLAKY_STATE"]) / name
    if marker.exists():
        return False
    marker.write_text("seen")
    return True


@pytest.fixture
def warm_cache():
    if first_time("fixture"):
        raise TimeoutError("cache not warm yet")
    return {}
""",
    "test_flaky.py": """\
from conftest import first_time


def test_stable():
    assert True


def test_races():
    assert not first_time("call"), "lost the race"


def test_cold_start(warm_cache):
    assert warm_cache == {}


def test_broken():
    assert 1 == 2, "always"
""",
}


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]])
def test_rerun_failures_tells_flaky_from_failed(tmp_path: Path, xdist: list[str]) -> None:
    project = write_files(tmp_path / "p", FLAKY)
    state = tmp_path / "state"
    state.mkdir()
    run = rt(
        project,
        PY,
        "--rerun-failures",
        "2",
        "--coverage-min",
        "0",
        "--",
        *xdist,
        env={"FLAKY_STATE": str(state)},
    )
    v = verdict_of(run)
    assert run.code == 1  # test_broken fails on every attempt
    m = v["metrics"]
    assert (m["passed"], m["failed"], m["errors"], m["flaky"], m["reruns"]) == (3, 1, 0, 2, 2)
    flaky = {f["data"]["nodeid"]: f for f in by_rule(v, "flaky-test")}
    assert set(flaky) == {"test_flaky.py::test_races", "test_flaky.py::test_cold_start"}
    races = flaky["test_flaky.py::test_races"]
    assert races["severity"] == "warning"
    # Both outcomes: how the first attempt failed, and that a later one passed.
    assert "lost the race" in races["message"]
    assert "attempt 1 failed; attempt 2 passed" in races["message"]
    cold = flaky["test_flaky.py::test_cold_start"]
    assert "TimeoutError: cache not warm yet" in cold["message"]
    assert "attempt 1 errored in setup; attempt 2 passed" in cold["message"]
    [broken] = by_rule(v, "test-failed")
    assert broken["data"]["attempts"] == 3
    assert "failed on all 3 attempts" in broken["message"]
    assert "2 flaky" in v["summary"]
    assert any("failed and then passed on a rerun" in s for s in v["next_steps"])


def test_without_reruns_a_flaky_failure_is_a_failure(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    project = write_files(tmp_path / "p", FLAKY)
    run = rt(project, PY, "--coverage-min", "0", env={"FLAKY_STATE": str(state)})
    v = verdict_of(run)
    assert (v["metrics"]["failed"], v["metrics"]["errors"], v["metrics"]["flaky"]) == (2, 1, 0)
    assert by_rule(v, "flaky-test") == []


def test_only_flaky_tests_pass_with_warnings(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    files = {**FLAKY, "test_flaky.py": FLAKY["test_flaky.py"].split("def test_broken")[0]}
    project = write_files(tmp_path / "p", files)
    run = rt(
        project,
        PY,
        "--rerun-failures",
        "1",
        "--coverage-min",
        "0",
        env={"FLAKY_STATE": str(state)},
    )
    v = verdict_of(run)
    assert run.code == 0, v["summary"]
    assert v["status"] == "pass"
    assert [f["severity"] for f in v["findings"]] == ["warning", "warning"]


# ---------------------------------------------------------------------------
# Crashes and coverage.py problems


CRASH = {
    "test_crash.py": """\
import os


def test_fine():
    pass


def test_dies():
    os._exit(3)
""",
}


def test_a_test_that_kills_pytest_is_an_error_naming_it(tmp_path: Path) -> None:
    run = rt(write_files(tmp_path / "p", CRASH), PY)
    v = verdict_of(run)
    assert run.code == 2
    assert v["summary"].startswith(
        "pytest ended abnormally (exit code 3) while running test_crash.py::test_dies"
    )


def test_a_crashed_xdist_worker_is_a_failed_test(tmp_path: Path) -> None:
    run = rt(write_files(tmp_path / "p", CRASH), PY, "--coverage-min", "0", "--", "-n", "2")
    v = verdict_of(run)
    assert run.code == 1
    [finding] = by_rule(v, "test-failed")
    assert finding["data"]["nodeid"] == "test_crash.py::test_dies"
    assert "crashed" in finding["message"]


def _fake_coverage(tmp_path: Path, body: str) -> dict[str, str]:
    write_files(tmp_path / "fake", {"coverage/__init__.py": body})
    return {"PYTHONPATH": str(tmp_path / "fake")}


def test_too_old_coverage_is_an_error_with_the_upgrade_command(tmp_path: Path) -> None:
    env = _fake_coverage(tmp_path, "__version__ = '4.5.4'\nversion_info = (4, 5, 4, 'final', 0)\n")
    project = write_files(tmp_path / "p", {"test_a.py": "def test_a():\n    pass\n"})
    v = verdict_of(rt(project, PY, env=env))
    assert v["status"] == "error"
    assert v["summary"].startswith("coverage 4.5.4 in the project's python is too old")
    assert f"`{PY} -m pip install --upgrade 'coverage>=7'`" in v["next_steps"][0]
    assert v["metrics"] == {}


def test_a_project_without_coverage_is_measured_with_qualgates_own(tmp_path: Path) -> None:
    # The project's interpreter cannot import coverage: qualgate's own is loaded in its
    # place, from its package folder alone (tests/install: nothing else of qualgate's
    # becomes importable in a project venv).
    env = _fake_coverage(tmp_path, "raise ImportError('not here')\n")
    files = {
        "app.py": "def f(x):\n    if x:\n        return 1\n    return 2\n",
        "test_a.py": "from app import f\n\n\ndef test_a():\n    assert f(1) == 1\n",
    }
    v = verdict_of(rt(write_files(tmp_path / "p", files), PY, env=env))
    assert v["status"] == "fail", v["summary"]  # app.py is 75% covered: under the minimum
    assert v["metrics"]["passed"] == 1
    assert v["metrics"]["files"]["app.py"]["missing"] == 1


def test_missing_coverage_is_an_error_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neither the project's interpreter nor qualgate (its fallback fails to load) has one.
    env = _fake_coverage(tmp_path, "raise ImportError('not here')\n")
    broken = write_files(tmp_path / "ours", {"coverage/__init__.py": "raise SyntaxError('new')\n"})
    from qualgate.gates.run_tests import cov

    monkeypatch.setattr(cov, "our_coverage", lambda: str(broken / "coverage"))
    project = write_files(tmp_path / "p", {"test_a.py": "def test_a():\n    pass\n"})
    v = verdict_of(rt(project, PY, env=env))
    assert v["status"] == "error"
    assert v["summary"].startswith("coverage is not installed in the project's python")
    assert f"`{PY} -m pip install coverage`" in v["next_steps"][0]


def test_a_broken_coverage_config_is_an_error(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[tool.coverage.run]\nconcurrency = ['no-such-library']\n",
        "test_a.py": "def test_a():\n    pass\n",
    }
    v = verdict_of(rt(write_files(tmp_path / "p", files), PY))
    assert v["status"] == "error"
    assert v["summary"].startswith("coverage could not start measuring:")
    assert "no-such-library" in v["summary"]


def test_collect_only_runs_nothing_and_says_so(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"test_a.py": "def test_a():\n    pass\n"})
    v = verdict_of(rt(project, PY, "--", "--collect-only"))
    assert v["status"] == "fail"
    assert v["summary"] == "no tests ran: 1 test collected, none run"
    assert by_rule(v, "no-tests")[0]["data"] == {"why": "none-ran"}


# ---------------------------------------------------------------------------
# The wrong interpreter: an isolated qualgate and a project without a venv


MISSING_DEP = {
    "pyproject.toml": "",
    "app.py": "import qualgate_test_absent_dep\n\n\ndef f():\n    return 1\n",
    "test_app.py": "from app import f\n\n\ndef test_f():\n    assert f()\n",
    "test_other.py": "import qualgate_test_absent_dep.sub\n\n\ndef test_g():\n    pass\n",
}


def test_missing_dependencies_in_qualgates_own_interpreter_are_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    project = write_files(tmp_path / "p", MISSING_DEP)
    run = run_qualgate("run-tests", str(project))
    v = verdict_of(run)
    assert run.code == 2, v["summary"]
    assert v["status"] == "error"
    assert (
        "cannot import qualgate_test_absent_dep: they ran in qualgate's own interpreter"
        in (v["summary"])
    )
    assert "--python" in v["next_steps"][0]
    # Pointed at that same interpreter on purpose, the missing module is the code's defect.
    chosen = rt(project, PY)
    assert chosen.code == 1
    assert verdict_of(chosen)["status"] == "fail"


def test_a_module_of_the_project_failing_to_import_stays_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    files = {
        "pyproject.toml": "",
        "src/mypkg/__init__.py": "",
        "test_a.py": "import mypkg.gone\n\n\ndef test_a():\n    pass\n",
    }
    run = run_qualgate("run-tests", str(write_files(tmp_path / "p", files)))
    assert run.code == 1
    assert verdict_of(run)["status"] == "fail"


def test_failing_on_a_python_the_project_does_not_support_is_an_error(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.99"\n',
        "test_new_syntax.py": "def test_a():\n    raise NameError('deferred annotations')\n",
    }
    run = rt(write_files(tmp_path / "p", files), PY)
    v = verdict_of(run)
    assert run.code == 2, v["summary"]
    version = ".".join(str(n) for n in sys.version_info[:3])
    assert v["summary"].startswith(
        f"the project requires Python >=3.99 and the tests ran on Python {version}"
    )
    assert "--python" in v["next_steps"][0]
    # Passing there anyway is a pass: nothing to blame on the interpreter.
    files["test_new_syntax.py"] = "def test_a():\n    pass\n"
    assert rt(write_files(tmp_path / "q", files), PY).code == 0


def test_a_conftest_failing_on_an_unsupported_python_is_an_error(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.99"\n',
        "conftest.py": "class User:\n    items: list[Item]  # deferred annotations (PEP 649)\n",
        "test_a.py": "def test_a():\n    pass\n",
    }
    v = verdict_of(rt(write_files(tmp_path / "p", files), PY))
    assert v["status"] == "error"
    assert v["summary"].startswith("the project requires Python >=3.99 and the tests ran on")
