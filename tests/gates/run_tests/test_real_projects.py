"""run-tests on projects shaped like real ones, in interpreters with the projects' own tools.

Each coverage figure is held against a reference run of the same suite in the same
interpreter (a plain serial ``coverage run``, and the project's own pytest-cov run): within
0.5 points. Two interpreters: coverage 7.11 with pytest-cov 7 and pytest 8+, and what a
project pinned in 2022 (coverage 6.4, pytest-cov 4.1, pytest 7.4, xdist 3.3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gates.run_tests.helpers import (
    TOLERANCE,
    files_of,
    plain_coverage,
    pytest_cov_total,
    rt,
    total,
)
from tests.gates.run_tests.projects import greenlet_project, pytest_cov_project
from tests.support import write_files

pytestmark = pytest.mark.slow

INTERPRETERS = ["modern_python", "old_python"]


def _python(request: pytest.FixtureRequest, name: str) -> str:
    return str(request.getfixturevalue(name))


def _verdict(run: Any) -> dict[str, Any]:
    assert run.verdict is not None, run.stdout + run.stderr
    verdict: dict[str, Any] = run.verdict
    return verdict


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_pytest_cov_and_xdist_in_addopts(
    request: pytest.FixtureRequest, interpreter: str, tmp_path: Path
) -> None:
    python = _python(request, interpreter)
    project = write_files(
        tmp_path / "p", pytest_cov_project("--cov=app --cov-report=term-missing -n 2")
    )
    run = rt(project, python, "--coverage-min", "0", "--integration-coverage-min", "0")
    v = _verdict(run)
    assert run.code == 0, v["summary"]
    m = v["metrics"]
    assert m["passed"] == 11
    theirs = pytest_cov_total(python, project, tmp_path / "theirs")
    plain = plain_coverage(python, project, tmp_path / "plain", source=["app"])
    assert m["coverage"] == pytest.approx(theirs, abs=TOLERANCE)
    assert m["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)
    # Same files as the plain run: the unimported module at 0%, the omitted one absent.
    assert set(m["files"]) == set(files_of(plain))
    assert m["files"]["app/unused.py"]["coverage"] == 0.0
    assert "app/generated_client.py" not in m["files"]
    assert m["files"]["app/core.py"]["coverage"] == pytest.approx(
        files_of(plain)["app/core.py"], abs=0.01
    )
    assert m["coverage_source"] == {
        "origin": "pytest-cov",
        "source": ["app"],
        "config_file": "pyproject.toml",
        "pytest_cov": True,
    }
    # branch = true is honoured; the project's own run printed no pytest-cov table here.
    assert m["branch_coverage"] is not None
    assert "measured app (from pytest-cov's --cov)" in v["checks"][1]["summary"]


@pytest.mark.parametrize("interpreter", INTERPRETERS)
@pytest.mark.parametrize("xdist", [["-n", "2"], ["-n", "2", "--dist", "loadfile"]])
def test_xdist_numbers_equal_a_serial_run(
    request: pytest.FixtureRequest, interpreter: str, xdist: list[str], tmp_path: Path
) -> None:
    python = _python(request, interpreter)
    project = write_files(tmp_path / "p", pytest_cov_project("--cov=app"))
    serial = _verdict(rt(project, python, "--coverage-min", "0", "--", "-n", "0"))["metrics"]
    spread = _verdict(rt(project, python, "--coverage-min", "0", "--", *xdist))["metrics"]
    for key in ("passed", "coverage", "statements", "covered_lines", "covered_branches"):
        assert spread[key] == serial[key], key
    # The integration split (coverage contexts) survives the workers.
    assert serial["integration_tests"] == 1
    assert spread["integration_coverage"] == serial["integration_coverage"]
    assert serial["integration_coverage"] is not None


def test_greenlet_concurrency_with_an_async_app(modern_python: str, tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", greenlet_project())
    run = rt(project, modern_python, "--coverage-min", "0")
    v = _verdict(run)
    assert run.code == 0, v["summary"]
    assert v["metrics"]["passed"] == 12
    plain = plain_coverage(modern_python, project, tmp_path / "plain", source=["app"])
    theirs = pytest_cov_total(modern_python, project, tmp_path / "theirs")
    assert v["metrics"]["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)
    assert v["metrics"]["coverage"] == pytest.approx(theirs, abs=TOLERANCE)
    # The code that runs inside greenlets is measured: only the unused function is missing.
    service = v["metrics"]["files"]["app/service.py"]
    assert service["missing"] == 3


GEVENT_APP = """\
import gevent


def fetch(n):
    gevent.sleep(0)
    if n % 2:
        return n * 10
    return -n


def gather(count):
    jobs = [gevent.spawn(fetch, n) for n in range(count)]
    gevent.joinall(jobs)
    return sorted(job.value for job in jobs)


def unused():
    return gevent.spawn(fetch, 1)
"""


def test_gevent_concurrency(modern_python: str, tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--cov=app -n 2"\n\n'
        '[tool.coverage.run]\nconcurrency = ["gevent"]\n',
        "app/__init__.py": "",
        "app/jobs.py": GEVENT_APP,
    }
    for n in range(3):
        files[f"tests/test_jobs_{n}.py"] = (
            f"from app.jobs import gather\n\n\ndef test_gather_{n}():\n"
            f"    assert gather(3) == [-2, 0, 10]\n"
        )
    project = write_files(tmp_path / "p", files)
    v = _verdict(rt(project, modern_python, "--coverage-min", "0"))
    plain = plain_coverage(modern_python, project, tmp_path / "plain", source=["app"])
    assert v["metrics"]["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)
    # The code run in greenlets is measured: only unused() is missing.
    assert v["metrics"]["files"]["app/jobs.py"]["missing"] == 1


def test_cov_config_and_cov_branch(modern_python: str, tmp_path: Path) -> None:
    files = pytest_cov_project("--cov=app --cov-config=ci/coverage.ini --cov-branch -n 2")
    files["pyproject.toml"] = files["pyproject.toml"].split("[tool.coverage.run]")[0]
    files["ci/coverage.ini"] = "[run]\nomit = app/models.py\n"
    project = write_files(tmp_path / "p", files)
    v = _verdict(rt(project, modern_python, "--coverage-min", "0"))
    m = v["metrics"]
    assert "app/models.py" not in m["files"]
    assert m["branch_coverage"] is not None  # from --cov-branch
    theirs = pytest_cov_total(modern_python, project, tmp_path / "theirs")
    assert m["coverage"] == pytest.approx(theirs, abs=TOLERANCE)
    assert m["coverage_source"]["config_file"] == "ci/coverage.ini"


def test_bare_cov_measures_the_project_packages(modern_python: str, tmp_path: Path) -> None:
    # `--cov` alone means "no source filter" to pytest-cov: tests count, unimported code
    # does not. qualgate measures the project's package instead, and says so.
    project = write_files(tmp_path / "p", pytest_cov_project("--cov -n 2"))
    v = _verdict(rt(project, modern_python, "--coverage-min", "0"))
    m = v["metrics"]
    assert m["coverage_source"]["origin"] == "detected"
    assert m["coverage_source"]["source"] == ["app"]
    assert m["files"]["app/unused.py"]["coverage"] == 0.0
    assert not [f for f in m["files"] if f.startswith("tests/")]
    plain = plain_coverage(modern_python, project, tmp_path / "plain", source=["app"])
    assert m["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)
    assert "measured app (the project's own code" in v["summary"]


def test_no_cover_marker_of_pytest_cov(modern_python: str, tmp_path: Path) -> None:
    files = pytest_cov_project("--cov=app -n 2")
    files["tests/test_unused.py"] = (
        "import pytest\n\nfrom app.unused import never_called\n\n\n"
        "@pytest.mark.no_cover\ndef test_not_measured():\n    assert never_called(1) == 2\n"
    )
    project = write_files(tmp_path / "p", files)
    m = _verdict(rt(project, modern_python, "--coverage-min", "0"))["metrics"]
    # The call ran unmeasured: only the import-time lines (def, class, def) count.
    assert m["files"]["app/unused.py"]["missing"] == 4
    theirs = pytest_cov_total(modern_python, project, tmp_path / "theirs")
    assert m["coverage"] == pytest.approx(theirs, abs=TOLERANCE)


def test_coverage_plugin_from_the_project_config(modern_python: str, tmp_path: Path) -> None:
    files = pytest_cov_project("--cov=app -n 2")
    files["pyproject.toml"] = files["pyproject.toml"].replace(
        "[tool.coverage.report]",
        'plugins = ["coverage_conditional_plugin"]\n\n'
        "[tool.coverage.coverage_conditional_plugin.rules]\n"
        "no-nope = \"not is_installed('qualgate_no_such_package')\"\n\n"
        "[tool.coverage.report]",
    )
    files["app/optional.py"] = (
        "def plain():\n    return 1\n\n\n"
        "def with_nope():  # pragma: no-nope\n    import qualgate_no_such_package\n"
        "    return qualgate_no_such_package.run()\n"
    )
    files["tests/test_optional.py"] = (
        "from app.optional import plain\n\n\ndef test_plain():\n    assert plain() == 1\n"
    )
    project = write_files(tmp_path / "p", files)
    m = _verdict(rt(project, modern_python, "--coverage-min", "0"))["metrics"]
    # The plugin's rule holds here (the package is not installed), so it excludes the
    # function marked with it: measured with the project's plugin, or it would be 60%.
    assert m["files"]["app/optional.py"]["coverage"] == 100.0
    plain = plain_coverage(modern_python, project, tmp_path / "plain", source=["app"])
    assert m["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)


def test_old_coverage_reports_like_its_own_run(old_python: str, tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", pytest_cov_project("--cov=app -n 2"))
    v = _verdict(rt(project, old_python, "--coverage-min", "0"))
    assert v["checks"][1]["tool_version"] == "6.4.4"
    assert v["checks"][0]["tool_version"] == "7.4.4"


def test_the_project_s_own_pytest_rerunfailures(modern_python: str, tmp_path: Path) -> None:
    files = {
        # Serial: under xdist pytest-rerunfailures counts attempts through a socket server
        # of its own in the controller, which is its business, not this test's.
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--reruns 2"\n',
        "test_flaky.py": (
            "import os\nfrom pathlib import Path\n\n\ndef test_races():\n"
            "    marker = Path(os.environ['FLAKY_STATE']) / 'seen'\n"
            "    if not marker.exists():\n        marker.write_text('x')\n"
            "        raise AssertionError('lost the race')\n\n\n"
            "def test_broken():\n    assert 1 == 2\n"
        ),
    }
    state = tmp_path / "state"
    state.mkdir()
    project = write_files(tmp_path / "p", files)
    # qualgate's own reruns stand aside: pytest-rerunfailures does them, we read them.
    run = rt(
        project,
        modern_python,
        "--rerun-failures",
        "5",
        "--coverage-min",
        "0",
        env={"FLAKY_STATE": str(state)},
    )
    v = _verdict(run)
    m = v["metrics"]
    assert (m["passed"], m["failed"], m["flaky"], m["reruns"]) == (1, 1, 1, 0)
    [flaky] = [f for f in v["findings"] if f["rule"] == "flaky-test"]
    assert "lost the race (attempt 1 failed; attempt 2 passed)" in flaky["message"]
    [broken] = [f for f in v["findings"] if f["rule"] == "test-failed"]
    assert broken["data"]["attempts"] == 3


@pytest.mark.parametrize("xdist", [["-n", "0"], ["-n", "2"]])
def test_subprocesses_measured_as_pytest_cov_4_does(
    old_python: str, tmp_path: Path, xdist: list[str]
) -> None:
    # pytest-cov < 7 measures a Python subprocess a test starts, through its own start-up
    # hook; taken over, that keeps working, into qualgate's data.
    files = {
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--cov=app"\n',
        "app/__init__.py": "",
        "app/core.py": (
            "def add(a, b):\n    return a + b\n\n\n"
            "def only_in_child(x):\n    if x:\n        return 'child'\n    return 'never'\n"
        ),
        "tests/test_sub.py": (
            "import subprocess\nimport sys\n\n\ndef test_child():\n"
            "    code = 'from app.core import only_in_child; print(only_in_child(1))'\n"
            "    done = subprocess.run([sys.executable, '-c', code], capture_output=True,\n"
            "                          text=True, check=True)\n"
            "    assert done.stdout.strip() == 'child'\n"
        ),
    }
    project = write_files(tmp_path / "p", files)
    v = _verdict(rt(project, old_python, "--coverage-min", "0", "--", *xdist))
    # Only the child ran only_in_child()'s body: 4 of 6 statements.
    assert v["metrics"]["files"]["app/core.py"]["missing"] == 2
    theirs = pytest_cov_total(old_python, project, tmp_path / "theirs")
    assert v["metrics"]["coverage"] == pytest.approx(theirs, abs=TOLERANCE)


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_a_conftest_that_cannot_import_is_a_collection_error_in_pytest_7_and_8(
    request: pytest.FixtureRequest, interpreter: str, tmp_path: Path
) -> None:
    """igorbenav/FastAPI-boilerplate: tests/conftest.py imports settings that read a .env
    file the checkout does not have. pytest 7 keeps the error in ``excinfo`` where pytest 8
    keeps it in ``cause``: either way a finding at the conftest, not a "usage error"."""
    python = _python(request, interpreter)
    files = {
        "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        "app/__init__.py": "",
        "app/config.py": "from pathlib import Path\n\nENV = Path('.env').read_text()\n",
        "tests/__init__.py": "",
        "tests/conftest.py": "import pytest\n\nfrom app.config import ENV\n",
        "tests/test_a.py": "def test_a():\n    pass\n",
    }
    v = _verdict(rt(write_files(tmp_path / "p", files), python))
    assert v["status"] == "fail", v["summary"]
    (finding,) = [f for f in v["findings"] if f["rule"] == "collection-error"]
    assert finding["path"] == "tests/conftest.py"
    assert "FileNotFoundError" in finding["message"] and ".env" in finding["message"]
