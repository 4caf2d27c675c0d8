"""lint-format judges a project by its own toolchain: detection, real tools, pinned versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qualgate.gates.lint_format import target, toolchain
from qualgate.gates.lint_format.projectfiles import ProjectFiles
from tests.support import git_init, run_qualgate, write_files

GATE = "lint-format"

# A FastAPI-style project formatted by black + isort and linted by flake8 with bugbear,
# whose config ignores B008 on purpose (FastAPI's `Depends()` defaults) and supports 3.9.
BLACK_ISORT_FLAKE8 = {
    "pyproject.toml": (
        '[tool.poetry]\nname = "svc"\nversion = "0.1.0"\n\n'
        '[tool.poetry.dependencies]\npython = "^3.9"\n\n'
        '[tool.poetry.group.dev.dependencies]\nblack = "*"\nisort = "*"\nflake8 = "*"\n'
        'flake8-bugbear = "*"\n\n'
        '[tool.black]\nline-length = 88\n\n[tool.isort]\nprofile = "black"\n'
    ),
    ".flake8": "[flake8]\nmax-line-length = 88\nextend-ignore = E203, B008\n",
    "svc/__init__.py": "",
    "svc/api.py": (
        "from typing import Optional\n\n\n"
        "def depends(x: Optional[int] = None) -> Optional[int]:\n    return x\n\n\n"
        "def handler(user: Optional[int] = depends()) -> Optional[int]:\n    return user\n"
    ),
}


def by_check(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in verdict["checks"]}


def test_detects_black_isort_flake8_with_plugins(tmp_path: Path) -> None:
    write_files(tmp_path, BLACK_ISORT_FLAKE8)
    chain = toolchain.detect(ProjectFiles(tmp_path))
    assert chain.checks == ("flake8", "black", "isort")
    assert chain.evidence["flake8"][0] == ".flake8"
    assert "pyproject.toml [tool.black]" in chain.evidence["black"]
    assert chain.plugins == {"flake8-bugbear"}


def test_detects_pre_commit_pins_and_task_files(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            ".pre-commit-config.yaml": (
                "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.4.2\n"
                "  hooks:\n  - id: ruff\n  - id: ruff-format\n"
                "- repo: https://github.com/pre-commit/mirrors-mypy\n  rev: v0.971\n"
                "  hooks:\n  - id: mypy\n"
            ),
            "Makefile": "lint:\n\tpylint src\n\tisort --profile black --check .\n",
            "requirements-dev.txt": "pyright==1.1.300  # types\n",
        },
    )
    chain = toolchain.detect(ProjectFiles(tmp_path))
    assert chain.checks == ("ruff", "format", "pylint", "isort", "mypy", "pyright")
    # `--profile black` names isort's style, not a black run.
    assert "black" not in chain.evidence
    assert (chain.pins["ruff"].exact, chain.pins["ruff"].line) == ("0.4.2", 3)
    assert chain.pins["mypy"].exact == "0.971"
    pin = chain.pins["pyright"]
    assert (pin.path, pin.line, pin.exact) == ("requirements-dev.txt", 1, "1.1.300")


def test_nothing_configured_means_the_default_trio(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["black"]\n'})
    chain = toolchain.detect(ProjectFiles(tmp_path))
    # A runtime dependency on black is no sign that the project formats with it.
    assert not chain.detected
    assert chain.checks == ("ruff", "format", "mypy")


@pytest.mark.parametrize(
    ("spec", "bound"),
    [
        ("^3.9", (3, 9)),
        (">=3.8,<4.0", (3, 8)),
        ("~3.10", (3, 10)),
        ("3.11.*", (3, 11)),
        (">=3.9.1", (3, 9)),
        ("<4", None),
        ("*", None),
        (">=2.7,!=3.0.*", None),
    ],
)
def test_python_lower_bound(spec: str, bound: tuple[int, int] | None) -> None:
    assert target.lower_bound(spec) == bound


def test_target_inference_sources(tmp_path: Path) -> None:
    files = {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.9"\n[tool.ruff]\n'}
    write_files(tmp_path, files)
    assert target.infer(ProjectFiles(tmp_path)) == ("py39", 'poetry\'s python = "^3.9"')
    assert not target.ruff_has_target(ProjectFiles(tmp_path))
    classifiers = (
        '[project]\nname = "x"\nclassifiers = ["Programming Language :: Python :: 3.12",'
        ' "Programming Language :: Python :: 3.8"]\n[tool.ruff]\ntarget-version = "py311"\n'
    )
    write_files(tmp_path, {"pyproject.toml": classifiers})
    assert target.infer(ProjectFiles(tmp_path)) == ("py38", "the oldest Python classifier")
    assert target.ruff_has_target(ProjectFiles(tmp_path))


def test_poetry_python_39_project_is_not_failed_by_py310_rules(tmp_path: Path) -> None:
    """ruff with UP on a `python = "^3.9"` project: no UP045 (`X | None` breaks 3.9)."""
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.poetry.dependencies]\npython = "^3.9"\n\n[tool.ruff.lint]\nselect = ["UP"]\n'
            ),
            "pkg/__init__.py": "",
            "pkg/m.py": "from typing import Optional\n\n\ndef f(x: Optional[int]) -> int:\n"
            "    return x or 0\n",
        },
    )
    run = run_qualgate(GATE, str(tmp_path), "--checks", "ruff")
    assert run.code == 0, run.stdout
    command = by_check(run.verdict)["ruff-check"]["command"]
    assert command[-3:] == ["--target-version", "py39", "."]
    assert run.verdict["metrics"]["python_target"] == "py39"
    # Without the inference (a 3.10 project) ruff would report it: the test can fail.
    write_files(tmp_path, {"pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.10"\n'
                           '[tool.ruff.lint]\nselect = ["UP"]\n'})  # fmt: skip
    run = run_qualgate(GATE, str(tmp_path), "--checks", "ruff")
    assert {f["rule"] for f in run.findings} == {"UP045"}


# ---------------------------------------------------------------------------
# Real tools in a real project environment (slow: builds a venv once per session).


@pytest.mark.slow
def test_black_isort_flake8_project_passes_with_its_own_tools(
    tmp_path: Path, tools_python: Path
) -> None:
    write_files(tmp_path, BLACK_ISORT_FLAKE8)
    run = run_qualgate(GATE, str(tmp_path), "--python", str(tools_python))
    assert run.code == 0, run.stdout
    checks = by_check(run.verdict)
    assert list(checks) == ["flake8", "black", "isort"]
    assert checks["flake8"]["command"][:3] == [str(tools_python), "-m", "flake8"]
    assert run.verdict["metrics"]["toolchain"]["source"] == "detected"
    # The same code under ruff's defaults would have been judged by other rules; and the
    # tools do judge: a defect of each kind fails.
    write_files(
        tmp_path,
        {
            "svc/bad.py": "import os,sys\ndef f(x=[]):\n    return x\ny=[1,2]\n",
        },
    )
    run = run_qualgate(GATE, str(tmp_path), "--python", str(tools_python))
    assert run.code == 1, run.stdout
    found = {(f["check"], f["rule"], f["line"]) for f in run.findings}
    assert ("flake8", "B006", 2) in found  # the plugin's code
    assert ("flake8", "E401", 1) in found
    assert ("black", "black", 1) in found
    assert ("isort", "isort", 1) in found
    assert not [f for f in run.findings if f["rule"] == "B008"]  # ignored by the project
    # --fix runs isort then black, and nothing else (flake8 has no fixer).
    run = run_qualgate(GATE, str(tmp_path), "--python", str(tools_python), "--fix")
    checks = by_check(run.verdict)
    assert [c for c in checks if c.endswith("-fix")] == ["isort-fix", "black-fix"]
    assert run.verdict["metrics"]["files_changed"] == ["svc/bad.py"]
    assert {f["check"] for f in run.findings if f["severity"] == "error"} == {"flake8"}


@pytest.mark.slow
def test_missing_flake8_plugin_is_an_error_not_a_pass(tmp_path: Path, tools_python: Path) -> None:
    files = dict(BLACK_ISORT_FLAKE8)
    files["requirements-dev.txt"] = "flake8-docstrings==1.7.0\n"
    write_files(tmp_path, files)
    run = run_qualgate(GATE, str(tmp_path), "--python", str(tools_python), "--checks", "flake8")
    assert run.code == 2
    assert "flake8-docstrings" in run.verdict["summary"]
    assert "pip install flake8-docstrings" in run.verdict["next_steps"][0]


@pytest.mark.slow
def test_pylint_and_pyright_projects(tmp_path: Path, tools_python: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.pylint.main]\nfail-under = 0\n\n[tool.pylint.'messages control']\n"
                'disable = ["missing-module-docstring"]\n\n[tool.pyright]\ninclude = ["pkg"]\n'
            ),
            "pkg/__init__.py": "",
            "pkg/m.py": 'def f() -> int:\n    """Return."""\n    return "x"\n',
        },
    )
    git_init(tmp_path)
    run = run_qualgate(GATE, str(tmp_path), "--python", str(tools_python))
    checks = by_check(run.verdict)
    assert list(checks) == ["pylint", "pyright"], run.stdout
    pyright = [f for f in run.findings if f["check"] == "pyright"]
    assert [(f["rule"], f["path"], f["line"], f["column"]) for f in pyright] == [
        ("reportReturnType", "pkg/m.py", 3, 12)
    ]
    # fail-under = 0: the project's pylint passes, so its messages do not fail the gate.
    assert checks["pylint"]["status"] == "pass"
    assert run.code == 1


@pytest.mark.slow
def test_mypy_0971_without_json_output(tmp_path: Path, old_mypy_python: Path) -> None:
    write_files(
        tmp_path,
        {
            "mypy.ini": "[mypy]\nstrict = True\n",
            "pkg/__init__.py": "",
            "pkg/m.py": 'def f() -> int:\n    return "x"\n\n\ndef g(a):\n    return a\n',
        },
    )
    run = run_qualgate(GATE, str(tmp_path), "--python", str(old_mypy_python))
    checks = by_check(run.verdict)
    assert list(checks) == ["mypy"]
    assert checks["mypy"]["tool_version"] == "0.971"
    assert "--show-column-numbers" in checks["mypy"]["command"]
    assert run.code == 1
    found = {(f["rule"], f["line"], f["column"]) for f in run.findings}
    assert ("return-value", 2, 12) in found
    assert ("no-untyped-def", 5, 1) in found
    # A clean tree passes with the same old mypy.
    write_files(tmp_path, {"pkg/m.py": "def f() -> int:\n    return 1\n"})
    run = run_qualgate(GATE, str(tmp_path), "--python", str(old_mypy_python))
    assert run.code == 0, run.stdout


@pytest.mark.parametrize(
    ("constraint", "spec"),
    [
        ("^0.971", ">=0.971,<0.972"),
        ("^22.6.0", ">=22.6.0,<23"),
        ("~1.2", ">=1.2,<1.3"),
        ("23.1.0", "==23.1.0"),
        ("*", ""),
        (">=1,<2", ">=1,<2"),
    ],
)
def test_poetry_constraints_become_specifiers(constraint: str, spec: str) -> None:
    assert toolchain._poetry_spec(constraint) == spec


def test_wemake_and_unprefixed_plugins_count_as_flake8(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.poetry.dev-dependencies]\nwemake-python-styleguide = "^0.16"\n'
            ),
            "scripts/lint": "#!/bin/sh\nmypy app\n",
        },
    )
    chain = toolchain.detect(ProjectFiles(tmp_path))
    assert chain.plugins == {"wemake-python-styleguide"}
    assert chain.checks == ("flake8", "mypy")
    assert chain.evidence["mypy"] == ["scripts/lint"]


def test_the_projects_own_targets_and_excludes_are_kept(tmp_path: Path) -> None:
    """`flake8 app --exclude=app/db/migrations` in scripts/lint: the gate lints the same."""
    write_files(
        tmp_path,
        {
            "setup.cfg": "[flake8]\nmax-line-length = 88\n",
            "scripts/format": "#!/bin/sh\nisort app tests\nblack app tests\n",
            "scripts/lint": (
                "#!/bin/sh\nset -e\nflake8 app --exclude=app/db/migrations\nmypy app\n"
                "black --check app --diff ; isort --check-only app  # done\n"
                "flake8 $(git ls-files) --select=E\n"
            ),
            "app/__init__.py": "",
            "app/db/migrations/v1.py": "",
            "tests/__init__.py": "",
        },
    )
    inv = toolchain.detect(ProjectFiles(tmp_path)).invocations
    assert (inv["flake8"].targets, inv["flake8"].options) == (
        ("app",),
        ("--exclude=app/db/migrations",),
    )
    assert inv["flake8"].where == "scripts/lint"
    # A check run beats the format script's fixing run; options that do more than narrow
    # (--select) are never taken from a task file.
    assert (inv["black"].targets, inv["black"].where) == (("app",), "scripts/lint")
    assert inv["isort"].targets == ("app",)
    assert inv["mypy"].targets == ("app",)


def test_hostile_task_lines_give_no_targets(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "Makefile": "lint:\n\tflake8 /etc ../outside ~/x '$HOME' --config=/tmp/evil.cfg\n",
            "pkg/__init__.py": "",
        },
    )
    chain = toolchain.detect(ProjectFiles(tmp_path))
    assert chain.checks == ("flake8",)
    assert "flake8" not in chain.invocations


def test_a_tool_only_on_path_is_used_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    from qualgate.gates.lint_format.env import our_version

    if our_version("black"):
        pytest.skip("black is installed beside qualgate: that one would run")
    project = tmp_path / "project"
    write_files(project, {"pyproject.toml": "[tool.black]\n", "pkg/__init__.py": ""})
    bin_dir = tmp_path / "pipx-bin"
    bin_dir.mkdir()
    black = bin_dir / "black"
    black.write_text(
        '#!/bin/sh\nif [ "$1" = --version ]; then echo "black, 24.1.0 (compiled: yes)"; fi\n',
        encoding="utf-8",
    )
    black.chmod(0o755)
    import os

    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    run = run_qualgate(GATE, str(project), env=env)
    assert run.code == 0, run.stdout
    (check,) = run.verdict["checks"]
    assert (check["name"], check["command"][0], check["tool_version"]) == (
        "black",
        str(black),
        "24.1.0",
    )
    run = run_qualgate(GATE, str(project), env={"PATH": "/usr/bin:/bin"})
    assert run.code == 2
    assert "black is not installed" in run.verdict["summary"]
    assert run.verdict["next_steps"][0].endswith("-m pip install black`")
