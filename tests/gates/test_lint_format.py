"""lint-format against fixture projects with the real ruff and mypy (no mocks)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import copy_fixture, git, git_init, run_qualgate, write_files

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"

GATE = "lint-format"


def clean_project(tmp_path: Path) -> Path:
    return copy_fixture("lint_format/clean", tmp_path)


def by_check(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in verdict["checks"]}


def only(run_findings: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    hits = [f for f in run_findings if all(f.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, (match, run_findings)
    return hits[0]


# ---------------------------------------------------------------------------
# A clean project and one with one defect per check share a module-scoped copy each,
# so mypy's cache is warm after the first run.


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    project = clean_project(tmp_path_factory.mktemp("clean"))
    return project, run_qualgate(GATE, str(project))


def test_clean_project_passes_with_every_check_recorded(clean_run: tuple[Path, Any]) -> None:
    project, run = clean_run
    assert run.code == 0, run.stdout
    verdict = run.verdict
    assert verdict["status"] == "pass"
    assert verdict["findings"] == []
    checks = by_check(verdict)
    assert list(checks) == ["ruff-check", "ruff-format", "mypy"]
    for check in checks.values():
        assert check["status"] == "pass"
        assert check["tool_version"][0].isdigit()
        assert check["command"]
    ruff_version = subprocess.run([RUFF, "--version"], capture_output=True, text=True).stdout
    assert checks["ruff-check"]["tool_version"] in ruff_version
    assert checks["ruff-check"]["command"][1:] == [
        "check",
        "--output-format",
        "json",
        "--no-fix",
        ".",
    ]
    assert checks["ruff-format"]["command"][1:] == ["format", "--diff", "."]
    import mypy.version

    assert checks["mypy"]["tool_version"] == mypy.version.__version__
    # No mypy `files` in the config: the gate checks the package, never tests/.
    assert checks["mypy"]["command"][-3:] == ["--output", "json", "src/cleanpkg"]
    # Nothing was written into the project but the verdict file and the tools' caches.
    assert (project / ".qualgate" / "verdicts" / "lint-format.json").is_file()


@pytest.fixture(scope="module")
def defects_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    project = clean_project(tmp_path_factory.mktemp("defects"))
    write_files(
        project,
        {
            # F401 on line 3, col 8; otherwise formatted and typed.
            "src/cleanpkg/unused.py": '"""Unused import."""\n\nimport os\n\nVALUE = 1\n',
            # Formatting only: the first change is line 3 (`x=1`).
            "src/cleanpkg/ugly.py": '"""Ugly."""\n\nx=1\ny = 2\n',
            # A type error on line 5.
            "src/cleanpkg/typed.py": ('"""Typed."""\n\n\ndef number() -> int:\n    return "one"\n'),
        },
    )
    return project, run_qualgate(GATE, str(project))


def test_unused_import_is_a_fixable_ruff_finding(defects_run: tuple[Path, Any]) -> None:
    _, run = defects_run
    assert run.code == 1
    f = only(run.findings, rule="F401")
    assert (f["path"], f["line"], f["column"], f["end_line"], f["end_column"]) == (
        "src/cleanpkg/unused.py",
        3,
        8,
        3,
        10,
    )
    assert f["check"] == "ruff-check"
    assert f["severity"] == "error"
    assert f["fixable"] is True
    assert f["help"] == "https://docs.astral.sh/ruff/rules/unused-import"
    assert f["fingerprint"].startswith("sha256:")
    assert by_check(run.verdict)["ruff-check"]["findings"] == 1


def test_unformatted_file_is_reported_at_its_first_changed_line(
    defects_run: tuple[Path, Any],
) -> None:
    _, run = defects_run
    f = only(run.findings, check="ruff-format")
    assert (f["rule"], f["path"], f["line"]) == ("format", "src/cleanpkg/ugly.py", 3)
    assert f["fixable"] is True
    assert f["data"]["changed_lines"] == [3]
    assert by_check(run.verdict)["ruff-format"]["status"] == "fail"


def test_type_error_is_a_mypy_finding_at_file_and_line(defects_run: tuple[Path, Any]) -> None:
    project, run = defects_run
    f = only(run.findings, check="mypy")
    assert (f["rule"], f["path"], f["line"], f["column"]) == (
        "return-value",
        "src/cleanpkg/typed.py",
        5,
        12,
    )
    assert f["severity"] == "error"
    assert "Incompatible return value type" in f["message"]
    verdict = run.verdict
    assert verdict["status"] == "fail"
    assert verdict["summary"].startswith("3 errors in 3 files (2 fixable with --fix)")
    assert verdict["metrics"]["blocking"] == 3
    step = verdict["next_steps"][0]
    prefix, suffix = "run `qualgate lint-format ", " --fix` to apply 2 safe fixes"
    assert step.startswith(prefix) and step.endswith(suffix), step
    assert Path(step[len(prefix) : -len(suffix)]).resolve() == project.resolve()


def test_checks_option_selects(defects_run: tuple[Path, Any]) -> None:
    project, _ = defects_run
    run = run_qualgate(GATE, str(project), "--checks", "format", "--checks", "ruff")
    assert [c["name"] for c in run.verdict["checks"]] == ["ruff-check", "ruff-format"]
    assert sorted(run.rules()) == ["F401", "format"]
    run = run_qualgate(GATE, str(project), "--checks", "mypy")
    assert [c["name"] for c in run.verdict["checks"]] == ["mypy"]
    assert run.rules() == ["return-value"]


def test_checks_from_config_and_bad_values(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[tool.qualgate.lint-format]\nchecks = ["format"]\n')
    run = run_qualgate(GATE, str(project))
    assert run.code == 0
    assert [c["name"] for c in run.verdict["checks"]] == ["ruff-format"]
    bad = run_qualgate(GATE, str(project), "--checks", "ruff,eslint")
    assert bad.code == 2
    assert "checks" in (bad.verdict["summary"] if bad.verdict else bad.stdout + bad.stderr)


def test_no_python_files_is_skipped(tmp_path: Path) -> None:
    write_files(tmp_path, {"README.md": "# nothing\n", ".venv/lib/x.py": "import os\n"})
    run = run_qualgate(GATE, str(tmp_path))
    assert run.code == 0
    assert run.verdict["status"] == "skipped"
    assert "no Python files" in run.verdict["summary"]
    assert run_qualgate(GATE, str(tmp_path), "--require").code == 1


# ---------------------------------------------------------------------------
# Tools that are missing or break: error, never pass.


def test_missing_ruff_is_an_error_with_the_install_command(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    run = run_qualgate(GATE, str(project), "--ruff", str(tmp_path / "nowhere" / "ruff"))
    assert run.code == 2
    verdict = run.verdict
    assert verdict["status"] == "error"
    assert "ruff is not installed" in verdict["summary"]
    assert f"`{sys.executable} -m pip install ruff`" in verdict["next_steps"][0]


def test_a_too_old_ruff_is_an_error_with_the_upgrade_command(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    old = tmp_path / "tools" / "ruff"
    old.parent.mkdir()
    old.write_text('#!/bin/sh\necho "ruff 0.0.250"\n')
    old.chmod(0o755)
    run = run_qualgate(GATE, str(project), "--ruff", str(old), "--checks", "ruff,format")
    assert run.code == 2
    assert run.verdict["summary"] == (
        "ruff-check: ruff 0.0.250 is too old: qualgate reads ruff 0.0.260 and newer; "
        "ruff-format: ruff 0.0.250 is too old: `ruff format --diff` needs ruff 0.1.2"
    )
    assert [s.split(": ", 1)[1] for s in run.verdict["next_steps"]] == [
        f"`{sys.executable} -m pip install 'ruff>=0.0.260'`",
        f"`{sys.executable} -m pip install 'ruff>=0.1.2'`",
    ]


def test_ruff_in_project_venv_is_preferred(tmp_path: Path) -> None:
    project = git_init(clean_project(tmp_path))  # an untracked .venv is the developer's
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True
    )
    (project / ".venv" / "bin" / "ruff").symlink_to(RUFF)
    run = run_qualgate(GATE, str(project))
    assert run.code == 0, run.stdout
    checks = by_check(run.verdict)
    assert checks["ruff-check"]["command"][0] == str(project / ".venv" / "bin" / "ruff")
    # The project's interpreter has no mypy: ours runs, pointed at the project's python.
    command = checks["mypy"]["command"]
    assert command[:3] == [sys.executable, "-m", "mypy"]
    assert command[3:5] == ["--python-executable", str(project / ".venv" / "bin" / "python")]
    # A missing ruff there is then named with the project's own pip.
    run = run_qualgate(GATE, str(project), "--ruff", "missing/ruff")
    assert "`.venv/bin/python -m pip install ruff`" in run.verdict["next_steps"][0]


def test_project_venv_with_mypy_runs_its_own_mypy(tmp_path: Path) -> None:
    project = git_init(clean_project(tmp_path))
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The venv sees qualgate's site-packages (mypy included) through a .pth file.
    import sysconfig

    (site,) = venv.glob("lib/python*/site-packages")
    (site / "shared.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run = run_qualgate(GATE, str(project), "--checks", "mypy")
    assert run.code == 0, run.stdout
    command = by_check(run.verdict)["mypy"]["command"]
    assert command[:3] == [str(venv / "bin" / "python"), "-m", "mypy"]
    assert "--python-executable" not in command


def test_mypy_in_project_interpreter_is_used_via_python_option(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    run = run_qualgate(GATE, str(project), "--checks", "mypy", "--python", sys.executable)
    assert run.code == 0, run.stdout
    assert by_check(run.verdict)["mypy"]["command"][:3] == [sys.executable, "-m", "mypy"]
    bad = run_qualgate(GATE, str(project), "--python", str(tmp_path / "no-python"))
    assert bad.code == 2
    assert "no such interpreter" in bad.verdict["summary"]


def test_mypy_config_error_is_an_error(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    (project / "pyproject.toml").write_text(
        text.replace("strict = true", 'strict = "maybe"'), encoding="utf-8"
    )
    run = run_qualgate(GATE, str(project), "--checks", "mypy")
    assert run.code == 2
    assert run.verdict["status"] == "error"
    assert (
        "mypy configuration error: pyproject.toml: [mypy]: strict: Not a boolean: maybe"
        in (run.verdict["summary"])
    )
    assert by_check(run.verdict)["mypy"]["status"] == "error"


def test_mypy_config_note_is_reported_not_an_error(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(
            "warn_unused_configs = true\n\n[[tool.mypy.overrides]]\n"
            'module = ["nothere.*"]\nignore_missing_imports = true\n'
        )
    run = run_qualgate(GATE, str(project), "--checks", "mypy")
    assert run.code == 0, run.stdout
    note = only(run.findings, rule="config")
    assert (note["severity"], note["path"], note["check"]) == ("note", "pyproject.toml", "mypy")
    assert note["message"] == "unused section(s): module = ['nothere.*']"
    assert run.verdict["summary"] == "no errors, 1 note in 1 file (mypy)"


def test_mypy_crash_is_an_error(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    (project / "mypy.ini").write_text("[mypy]\nfiles = does_not_exist.py\n", encoding="utf-8")
    run = run_qualgate(GATE, str(project), "--checks", "mypy")
    assert run.code == 2
    assert "mypy failed: does_not_exist.py: error: Cannot read file" in run.verdict["summary"]
    # mypy.ini named the files: the gate passed no targets of its own.
    assert by_check(run.verdict)["mypy"]["command"][-2:] == ["--output", "json"]


def test_ruff_config_error_is_an_error(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('"double"', '"curly"'), encoding="utf-8")
    run = run_qualgate(GATE, str(project), "--checks", "ruff,format")
    assert run.code == 2
    checks = by_check(run.verdict)
    assert checks["ruff-check"]["status"] == "error"
    assert checks["ruff-format"]["status"] == "error"
    assert run.verdict["summary"].startswith("ruff-check: ruff failed")
    assert "pyproject.toml" in run.verdict["summary"]


def test_syntax_error_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    write_files(project, {"src/cleanpkg/broken.py": "def f(:\n    pass\n"})
    run = run_qualgate(GATE, str(project), "--checks", "ruff,format")
    assert run.code == 1
    assert {(f["check"], f["path"], f["line"]) for f in run.findings} == {
        ("ruff-check", "src/cleanpkg/broken.py", 1)
    }
    assert by_check(run.verdict)["ruff-format"]["status"] == "pass"
    run = run_qualgate(GATE, str(project), "--checks", "format")
    f = only(run.findings, rule="syntax-error")
    assert (f["path"], f["line"], f["column"]) == ("src/cleanpkg/broken.py", 1, 7)


# ---------------------------------------------------------------------------
# --fix


def test_fix_end_to_end(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    outside = tmp_path / "outside.py"
    outside_text = "import os\nx=1\n"
    outside.write_text(outside_text, encoding="utf-8")
    write_files(
        project,
        {
            "src/cleanpkg/messy.py": (
                '"""Messy."""\nimport os\nimport sys\n\n\ndef n() -> int:\n'
                "    return len(sys.argv)+1\n"
            ),
            "src/cleanpkg/typed.py": '"""Typed."""\n\n\ndef t() -> int:\n    return "x"\n',
            # F841 (unused variable) has only an unsafe fix: it must remain.
            "src/cleanpkg/unsafe.py": '"""Unsafe."""\n\n\ndef u() -> None:\n    v = 1\n',
        },
    )
    (project / "src" / "cleanpkg" / "link.py").symlink_to(outside)
    run = run_qualgate(GATE, str(project), "--fix")
    assert run.code == 1
    verdict = run.verdict
    assert verdict["metrics"]["files_changed"] == ["src/cleanpkg/messy.py"]
    assert verdict["metrics"]["files_outside_project"] == ["src/cleanpkg/link.py"]
    assert outside.read_text(encoding="utf-8") == outside_text
    assert (project / "src/cleanpkg/messy.py").read_text(encoding="utf-8") == (
        '"""Messy."""\n\nimport sys\n\n\ndef n() -> int:\n    return len(sys.argv) + 1\n'
    )
    checks = by_check(verdict)
    assert checks["ruff-fix"]["command"][2:4] == ["--fix", "--no-unsafe-fixes"]
    assert checks["ruff-format-fix"]["status"] == "pass"
    remaining = {(f["rule"], f["path"]) for f in verdict["findings"] if f["severity"] == "error"}
    # What --fix cannot fix remains (and the symlinked file is still checked, not written).
    assert ("return-value", "src/cleanpkg/typed.py") in remaining
    assert ("F841", "src/cleanpkg/unsafe.py") in remaining
    assert ("F401", "src/cleanpkg/link.py") in remaining
    assert ("F401", "src/cleanpkg/messy.py") not in remaining
    assert "--fix changed 1 file" in verdict["summary"]
    # A second --fix changes nothing more.
    again = run_qualgate(GATE, str(project), "--fix", "--checks", "ruff,format")
    assert again.verdict["metrics"]["files_changed"] == []


# ---------------------------------------------------------------------------
# --base


def test_base_judges_only_changed_lines(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    write_files(project, {"src/cleanpkg/old.py": '"""Old."""\nimport os\n\nA = 1\n'})
    git_init(project)
    run = run_qualgate(GATE, str(project), "--base", "HEAD", "--checks", "ruff")
    assert run.code == 0, run.stdout
    old = only(run.findings, rule="F401")
    assert old["existing"] is True
    # The shared --base rule keeps an existing finding's severity; it just decides nothing.
    assert old["severity"] == "error"
    assert "severity" not in old["data"]
    assert run.verdict["summary"] == "no new errors since HEAD; 1 existing finding before HEAD"
    assert run.verdict["next_steps"] == []

    # A new defect on a changed line of a tracked file, and one in an untracked file.
    with (project / "src/cleanpkg/old.py").open("a", encoding="utf-8") as handle:
        handle.write("import sys\n")
    write_files(project, {"src/cleanpkg/new.py": '"""New."""\nimport json\n'})
    run = run_qualgate(GATE, str(project), "--base", "HEAD", "--checks", "ruff")
    assert run.code == 1
    decided = {(f["path"], f["line"]) for f in run.findings if not f.get("existing")}
    assert decided >= {("src/cleanpkg/old.py", 5), ("src/cleanpkg/new.py", 2)}
    assert only(run.findings, rule="F401", line=2, path="src/cleanpkg/old.py")["existing"]
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "more")
    run = run_qualgate(GATE, str(project), "--base", "HEAD~1", "--checks", "ruff")
    assert run.code == 1
    bad = run_qualgate(GATE, str(project), "--base", "no-such-ref")
    assert bad.code == 2
    assert "no such commit" in bad.verdict["summary"]


def test_base_judges_a_format_finding_by_the_lines_it_spans(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    write_files(project, {"src/cleanpkg/m.py": '"""M."""\n\nx=1\ny = 2\nz = 3\n'})
    git_init(project)
    args = (GATE, str(project), "--base", "HEAD", "--checks", "format")
    # An old formatting defect alone is existing.
    write_files(project, {"src/cleanpkg/n.py": '"""N."""\n'})
    run = run_qualgate(*args)
    assert run.code == 0, run.stdout
    assert only(run.findings, rule="format")["existing"] is True
    # A new one below it, in the same file, makes the file's finding new.
    write_files(project, {"src/cleanpkg/m.py": '"""M."""\n\nx=1\ny = 2\nz =  3\n'})
    run = run_qualgate(*args)
    assert run.code == 1, run.stdout
    f = only(run.findings, rule="format")
    assert (f["line"], f["end_line"], f["data"]["changed_lines"]) == (3, 5, [3, 5])
    assert not f.get("existing")


def test_fix_with_base_touches_only_changed_files(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    old_text = '"""Old."""\n\nimport os\n\nA = 1\n'
    write_files(project, {"src/cleanpkg/old.py": old_text})
    git_init(project)
    write_files(project, {"src/cleanpkg/new.py": '"""New."""\n\nimport json\n\nB = 1\n'})
    run = run_qualgate(GATE, str(project), "--fix", "--base", "HEAD", "--checks", "ruff")
    assert run.code == 0, run.stdout
    assert run.verdict["metrics"]["files_changed"] == ["src/cleanpkg/new.py"]
    assert (project / "src/cleanpkg/old.py").read_text(encoding="utf-8") == old_text
    assert only(run.findings, rule="F401")["existing"] is True
    assert "import json" not in (project / "src/cleanpkg/new.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# The standards preset


STANDARDS_FILES = {
    "src/cleanpkg/bad.py": """\
\"\"\"Breaks every standard once.\"\"\"

from pprint import pprint
from typing import Any

PASSWORD = "hunter2"


def connect(**kwargs: Any) -> None:
    \"\"\"Pretend to connect.\"\"\"


def login(user, password: str = "s3cret"):
    connect(user=user, password="letmein")
    query = f"SELECT * FROM users WHERE name = '{user}'"
    try:
        print(query)
    except:
        pprint(query)
    try:
        pass
    except Exception:
        pass


def _private(x):
    return x
""",
    "src/cleanpkg/long.py": '"""Long."""\n\n\ndef long_one() -> int:\n    """Long."""\n'
    + "    x = 0\n" * 49
    + "    return x\n\n\ndef short() -> int:\n    return 1\n",
    "tests/test_bad.py": 'PASSWORD = "x"\n\n\ndef test_it(a):\n    print(a)\n',
    "scripts/tool.py": "def main(a):\n    print(a)\n",
}


def test_standards_preset_each_rule(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    write_files(project, STANDARDS_FILES)
    run = run_qualgate(GATE, str(project), "--preset", "standards", "--checks", "ruff")
    assert run.code == 1
    checks = by_check(run.verdict)
    assert list(checks) == ["ruff-check", "standards"]
    assert "--select" in checks["standards"]["command"]
    found = {
        (f["rule"], f["path"], f["line"], f["data"]["standard"])
        for f in run.findings
        if f["check"] == "standards"
    }
    bad = "src/cleanpkg/bad.py"
    assert found == {
        ("S105", bad, 6, "no-hardcoded-secrets"),
        ("S107", bad, 13, "no-hardcoded-secrets"),
        ("S106", bad, 14, "no-hardcoded-secrets"),
        ("S608", bad, 15, "no-sql-string-formatting"),
        ("T201", bad, 17, "no-print-in-library-code"),
        ("T203", bad, 19, "no-print-in-library-code"),
        ("BLE001", bad, 22, "no-bare-except"),
        ("ANN001", bad, 13, "annotated-public-functions"),
        ("ANN201", bad, 13, "annotated-public-functions"),
        ("long-function", "src/cleanpkg/long.py", 4, "max-function-lines"),
    }
    # E722 is also in the project's own selection: reported once, by ruff-check.
    e722 = [f for f in run.findings if f["rule"] == "E722"]
    assert len(e722) == 1 and e722[0]["check"] == "ruff-check"
    assert e722[0]["data"]["standard"] == "no-bare-except"
    assert e722[0]["message"] == "[standard: no-bare-except] Do not use bare `except`"
    for f in run.findings:
        if f["check"] == "standards":
            assert f["message"].startswith(f"[standard: {f['data']['standard']}] ")
    long_one = only(run.findings, rule="long-function")
    assert long_one["data"]["lines"] == 52
    assert "`long_one` is 52 lines long (maximum 50)" in long_one["message"]


def test_standards_max_function_lines_option(tmp_path: Path) -> None:
    project = clean_project(tmp_path)
    write_files(project, {"src/cleanpkg/long.py": STANDARDS_FILES["src/cleanpkg/long.py"]})
    args = (GATE, str(project), "--preset", "standards", "--checks", "format")
    assert run_qualgate(*args, "--max-function-lines", "52").code == 0
    run = run_qualgate(*args, "--max-function-lines", "2")
    assert run.code == 1
    assert sorted(f["data"]["function"] for f in run.findings) == ["add", "greet", "long_one"]
    assert run_qualgate(*args, "--max-function-lines", "0").code == 2


def test_mypy_without_packages_is_skipped_and_said(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"pyproject.toml": "[tool.mypy]\nstrict = true\n", "tests/test_x.py": "X = 1\n"},
    )
    run = run_qualgate(GATE, str(tmp_path))
    assert run.code == 0
    assert by_check(run.verdict)["mypy"]["status"] == "skipped"
    assert "mypy skipped: no packages to type-check" in run.verdict["summary"]
    run = run_qualgate(GATE, str(tmp_path), "--checks", "mypy")
    assert run.verdict["status"] == "skipped"
    assert run.verdict["summary"].startswith("mypy skipped: no packages to type-check")


def test_list_standards() -> None:
    run = run_qualgate(GATE, "--list-standards")
    assert run.code == 0
    assert "no-hardcoded-secrets" in run.stdout and "S105" in run.stdout
    assert "max-function-lines" in run.stdout


@pytest.mark.slow  # mypy with the pydantic plugin on a cold cache: ~10-30 s
def test_wrapper_passes_on_the_demo_service(tmp_path: Path) -> None:
    from tests.support import REPO

    demo = tmp_path / "demo-service"
    shutil.copytree(
        REPO / "examples" / "demo-service",
        demo,
        ignore=shutil.ignore_patterns(".mypy_cache", ".ruff_cache", ".qualgate", "__pycache__"),
    )
    done = subprocess.run(
        [str(REPO / "tools/ci/lint-format.sh"), str(demo), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    # The demo's own toolchain: [tool.ruff] and [tool.mypy] (ruff format too once its
    # pyproject says so with [tool.ruff.format]).
    checks = {c["name"]: c["status"] for c in verdict["checks"]}
    assert {"ruff-check", "mypy"} <= set(checks)
    assert set(checks.values()) == {"pass"}
