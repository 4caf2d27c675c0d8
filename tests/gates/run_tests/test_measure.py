"""What run-tests measures, in qualgate's own interpreter (coverage 7, pytest-xdist, no
pytest-cov): the project's coverage settings from each file coverage.py reads, and the
project's own packages when nothing names a source. Each figure is held against a plain
serial ``coverage run`` of the same suite."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from qualgate.gates.run_tests import sources
from tests.gates.run_tests.helpers import TOLERANCE, files_of, plain_coverage, rt, total
from tests.gates.run_tests.projects import CORE, MODELS, UNUSED, src_layout_project
from tests.support import write_files

PY = sys.executable


def metrics_of(run: Any) -> dict[str, Any]:
    assert run.verdict is not None, run.stdout + run.stderr
    metrics: dict[str, Any] = run.verdict["metrics"]
    return metrics


TESTS = {
    "tests/test_core.py": """\
from app.core import add, clamp


def test_add():
    assert add(1, 2) == 3


def test_clamp():
    assert clamp(-5, 0, 9) == 0
    assert clamp(5, 0, 9) == 5
""",
    "tests/test_models.py": """\
from app.models import Item


def test_item():
    assert Item("a", 10).discounted(50) == 5
""",
}
APP = {"app/__init__.py": "", "app/core.py": CORE, "app/models.py": MODELS, "app/unused.py": UNUSED}

# One configuration (source, branch, omit, an exclusion), in each file coverage.py reads.
CONFIGS = {
    ".coveragerc": (
        ".coveragerc",
        "[run]\nsource = app\nbranch = True\nomit = app/models.py\n\n"
        "[report]\nexclude_lines =\n    pragma: no cover\n    def describe\n",
    ),
    "setup.cfg": (
        "setup.cfg",
        "[coverage:run]\nsource = app\nbranch = True\nomit = app/models.py\n\n"
        "[coverage:report]\nexclude_lines =\n    pragma: no cover\n    def describe\n",
    ),
    "tox.ini": (
        "tox.ini",
        "[coverage:run]\nsource = app\nbranch = True\nomit = app/models.py\n\n"
        "[coverage:report]\nexclude_lines =\n    pragma: no cover\n    def describe\n",
    ),
    "pyproject.toml": (
        "pyproject.toml",
        "[tool.coverage.run]\nsource = ['app']\nbranch = true\nomit = ['app/models.py']\n\n"
        "[tool.coverage.report]\nexclude_lines = ['pragma: no cover', 'def describe']\n",
    ),
}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_settings_from_every_config_file(config: str, tmp_path: Path) -> None:
    name, text = CONFIGS[config]
    files = {**APP, **TESTS, name: text}
    project = write_files(tmp_path / "p", files)
    run = rt(project, PY, "--coverage-min", "0", "--", "-n", "2")
    m = metrics_of(run)
    assert set(m["files"]) == {"app/__init__.py", "app/core.py", "app/unused.py"}  # omit
    assert m["branch_coverage"] is not None  # branch
    assert m["coverage_source"]["origin"] == "config"
    assert m["coverage_source"]["config_file"] == name
    plain = plain_coverage(PY, project, tmp_path / "plain")
    assert m["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)
    # The exclusion applies: describe() is not a missing statement.
    assert m["files"]["app/core.py"]["coverage"] == pytest.approx(
        files_of(plain)["app/core.py"], abs=0.01
    )


def test_source_pkgs_include_and_relative_files(tmp_path: Path) -> None:
    files = {
        **APP,
        **TESTS,
        "pyproject.toml": "[tool.coverage.run]\nsource_pkgs = ['app']\nrelative_files = true\n"
        "parallel = true\n\n[tool.coverage.paths]\nsource = ['app/', '*/app/']\n",
    }
    project = write_files(tmp_path / "p", files)
    m = metrics_of(rt(project, PY, "--coverage-min", "0", "--", "-n", "2"))
    assert m["files"]["app/unused.py"]["coverage"] == 0.0
    plain = plain_coverage(PY, project, tmp_path / "plain")
    assert m["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)
    include_only = {
        **APP,
        **TESTS,
        "pyproject.toml": "[tool.coverage.run]\ninclude = ['app/core.py']\n",
    }
    project = write_files(tmp_path / "i", include_only)
    m = metrics_of(rt(project, PY, "--coverage-min", "0"))
    # `include` is the project's choice: no package detection on top of it.
    assert set(m["files"]) == {"app/core.py"}
    assert m["coverage_source"]["origin"] == "config"


def test_src_layout_without_source_counts_unimported_code(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", src_layout_project())
    run = rt(project, PY, "--coverage-min", "0", "--", "-n", "2")
    v = run.verdict
    assert v is not None
    m = v["metrics"]
    assert m["coverage_source"] == {
        "origin": "detected",
        "source": ["src/calc_tools"],
        "config_file": None,
        "pytest_cov": False,
    }
    # The subpackage no test imports is 0%, not absent; the tests are not measured.
    assert m["files"]["src/calc_tools/export/csv.py"]["coverage"] == 0.0
    assert not [f for f in m["files"] if f.startswith("tests/")]
    plain = plain_coverage(PY, project, tmp_path / "plain", source=["src/calc_tools"])
    assert m["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)
    assert set(m["files"]) == set(files_of(plain))
    assert "measured src/calc_tools (the project's own code, found by qualgate" in v["summary"]


def test_detected_source_with_multiprocessing_children(tmp_path: Path) -> None:
    # coverage starts measuring in a multiprocessing child from the project's config
    # alone: without a source there it records every file the child runs. The report
    # keeps to what qualgate measured.
    files = src_layout_project("\n[tool.coverage.run]\nconcurrency = ['multiprocessing']\n")
    files["tests/test_child.py"] = """\
import multiprocessing

from calc_tools.stats import spread


def work(queue):
    queue.put(spread([3, 9]))


def test_in_a_child():
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=work, args=(queue,))
    child.start()
    assert queue.get(timeout=60) == 6
    child.join(60)
"""
    project = write_files(tmp_path / "p", files)
    m = metrics_of(rt(project, PY, "--coverage-min", "0"))
    assert set(m["files"]) == {
        "src/calc_tools/__init__.py",
        "src/calc_tools/stats.py",
        "src/calc_tools/export/__init__.py",
        "src/calc_tools/export/csv.py",
    }
    assert m["files"]["src/calc_tools/stats.py"]["coverage"] == 100.0


def test_a_top_level_module_project(tmp_path: Path) -> None:
    files = {
        "calc.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
        "setup.py": "raise SystemExit('not run')\n",
        "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    }
    m = metrics_of(rt(write_files(tmp_path / "p", files), PY, "--coverage-min", "0"))
    assert m["coverage_source"]["source"] == ["calc"]
    assert set(m["files"]) == {"calc.py"}
    assert m["coverage"] == 75.0  # 3 of 4 statements: sub() never ran


# ---------------------------------------------------------------------------
# Finding the project's own code


def test_detect_prefers_the_project_name(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'My.Service'\n",
            "src/my_service/__init__.py": "",
            "src/other/__init__.py": "",
        },
    )
    assert sources.detect(tmp_path) == ["src/my_service"]


def test_detect_src_packages_then_top_level_packages(tmp_path: Path) -> None:
    write_files(
        tmp_path / "a",
        {"src/one/__init__.py": "", "src/two/mod.py": "", "src/two.egg-info/PKG-INFO": ""},
    )
    assert sources.detect(tmp_path / "a") == ["src/one", "src/two"]
    write_files(
        tmp_path / "b",
        {
            "app/__init__.py": "",
            "tests/__init__.py": "",
            "testing_utils/__init__.py": "",
            "docs/__init__.py": "",
            ".venv/lib/__init__.py": "",
            "node_modules/x/__init__.py": "",
            "scripts_x/run.py": "",
        },
    )
    assert sources.detect(tmp_path / "b") == ["app"]


def test_detect_modules_when_there_is_no_package(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "tool.py": "",
            "helpers.py": "",
            "test_tool.py": "",
            "tool_test.py": "",
            "conftest.py": "",
            "setup.py": "",
            "noxfile.py": "",
            "not-a-module.py": "",
        },
    )
    assert sources.detect(tmp_path) == ["helpers", "tool"]
    assert sources.detect(tmp_path / "nothing") == []


def test_detect_survives_a_hostile_pyproject(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": "[project\nname = ", "pkg/__init__.py": ""})
    assert sources.detect(tmp_path) == ["pkg"]
    deep = "a = " + "[" * 5000 + "]" * 5000 + "\n"
    write_files(tmp_path / "deep", {"pyproject.toml": deep, "pkg/__init__.py": ""})
    assert sources.detect(tmp_path / "deep") == ["pkg"]


def test_detected_package_installed_without_e_is_measured_where_it_runs(tmp_path: Path) -> None:
    # `pip install .` (not -e): the tests import the installed copy, not src/. Measuring the
    # src/ folder would find nothing run there; the package is measured by name instead.
    files = src_layout_project()
    files["pyproject.toml"] = files["pyproject.toml"].replace('pythonpath = ["src"]\n', "")
    project = write_files(tmp_path / "p", files)
    site = tmp_path / "site"
    shutil.copytree(project / "src", site)
    env = {"PYTHONPATH": str(site)}
    v = rt(project, PY, "--coverage-min", "0", env=env).verdict
    assert v is not None
    m = v["metrics"]
    assert m["coverage_source"]["source"] == ["calc_tools"]
    installed = {f for f in m["files"] if f.startswith(str(site))}
    assert len(installed) == 4, m["files"]
    assert m["files"][str(site / "calc_tools/export/csv.py")]["coverage"] == 0.0
    plain = plain_coverage(PY, project, tmp_path / "plain", source=["calc_tools"], env=env)
    assert m["coverage"] == pytest.approx(total(plain), abs=TOLERANCE)
