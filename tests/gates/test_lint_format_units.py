"""lint-format's parsers and helpers, on exact tool output and small source trees."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from qualgate.errors import GateError, ToolMissing
from qualgate.gates.lint_format import diff, env, fix, mypy, ruff, rules, standards, tools
from qualgate.gates.lint_format.projectfiles import ProjectFiles
from qualgate.verdict import Finding, Severity
from tests.support import write_files


def rel(path: str) -> str:
    return path.removeprefix("/root/")


# ---------------------------------------------------------------------------
# ruff format --diff


def test_parse_diff_replacement_insertion_and_append() -> None:
    text = (
        "--- a.py\n+++ a.py\n"
        "@@ -1,4 +1,5 @@\n"
        ' """Doc."""\n'
        "+\n"  # insertion before old line 2
        " import os\n"
        "-x=1\n"  # replaced line 3
        "+x = 1\n"
        " y = 2\n"
        "--- pkg/b.py\t2026-01-01 00:00:00\n+++ pkg/b.py\n"
        "@@ -7,2 +7,3 @@\n"
        " a = 1\n"
        " b = 2\n"
        "+\n"  # appended after the last line (8)
        "\\ No newline at end of file\n"
    )
    diffs = diff.parse_diff(text)
    assert [(d.path, d.first_line, sorted(d.lines), d.hunks) for d in diffs] == [
        ("a.py", 2, [2, 3], 1),
        ("pkg/b.py", 8, [8], 1),
    ]


def test_parse_diff_removed_line_that_looks_like_a_header() -> None:
    text = "--- c.py\n+++ c.py\n@@ -3,2 +3,1 @@\n--- not a header\n keep\n@@ -10,0 +10,1 @@\n+new\n"
    (one,) = diff.parse_diff(text)
    assert one.path == "c.py"
    assert sorted(one.lines) == [3, 11]
    assert one.hunks == 2


def test_parse_diff_notebook_cells() -> None:
    text = (
        "--- nb.ipynb:cell 2\n+++ nb.ipynb:cell 2\n@@ -1,2 +1,2 @@\n-x=1\n+x = 1\n import os\n"
        "--- nb.ipynb:cell 5\n+++ nb.ipynb:cell 5\n@@ -1 +1 @@\n-y=2\n+y = 2\n"
    )
    assert [(d.path, d.cell, d.first_line) for d in diff.parse_diff(text)] == [
        ("nb.ipynb", 2, 1),
        ("nb.ipynb", 5, 1),
    ]
    (finding,) = [diff.format_finding(p, d) for p, d in diff.by_file(text)]
    assert (finding.path, finding.line) == ("nb.ipynb", None)
    assert finding.data == {"cells": [2, 5], "cell_line": 1, "hunks": 2}


def test_parse_diff_empty() -> None:
    assert diff.parse_diff("") == []


def test_findings_of_catalogued_rules_take_the_catalogues_help(tmp_path: Path) -> None:
    text = "--- m.py\n+++ m.py\n@@ -3 +3 @@\n-x=1\n+x = 1\n@@ -9 +9 @@\n-y=2\n+y = 2\n"
    (fmt,) = [diff.format_finding(p, d) for p, d in diff.by_file(text)]
    assert (fmt.rule, fmt.help) == ("format", "https://docs.astral.sh/ruff/formatter/")
    # It spans the formatter's first to last change: --base judges it by any line there.
    assert (fmt.line, fmt.end_line, fmt.data["changed_lines"]) == (3, 9, [3, 9])
    write_files(tmp_path, {"m.py": "def f() -> int:\n    x = 1\n    return x\n"})
    (long,) = standards.long_functions(["m.py"], standards.Sources(tmp_path), 2)
    assert long.help == rules.RULES.help_url("long-function")
    assert long.help.endswith("docs/rules/lint-format.md#long-function")
    note = mypy._config_note("pyproject.toml", "note: unused section(s)", lambda p: p)
    assert (note.rule, note.severity, note.help) == (
        "config",
        Severity.NOTE,
        "https://mypy.readthedocs.io/en/stable/config_file.html",
    )
    # Every id the gate gives itself is catalogued; the tools' own ids are not.
    own = {"syntax-error", "mypy", "black", "isort", "flake8", "tool-version", "hardcoded-secret"}
    assert {fmt.rule, long.rule, note.rule} | own == set(rules.RULES.rules)


# ---------------------------------------------------------------------------
# ruff check JSON


def test_parse_check_json_fields() -> None:
    items = [
        {
            "code": None,
            "message": "Expected an expression",
            "filename": "/root/x.py",
            "location": {"row": 2, "column": 5},
            "end_location": {"row": 2, "column": 6},
            "fix": None,
            "url": None,
            "cell": None,
        },
        {
            "code": "F841",
            "name": "unused-variable",
            "message": "Local variable `v` is assigned to but never used",
            "filename": "/root/nb.ipynb",
            "location": {"row": 1, "column": 1},
            "end_location": {"row": 1, "column": 2},
            "fix": {"applicability": "unsafe", "message": "Remove assignment", "edits": []},
            "url": "https://docs.astral.sh/ruff/rules/unused-variable",
            "cell": 3,
            "severity": "warning",
        },
    ]
    syntax, unsafe = ruff.parse_check_json(json.dumps(items), rel, "ruff-check")
    assert (syntax.rule, syntax.path, syntax.line, syntax.column, syntax.fixable) == (
        "syntax-error",
        "x.py",
        2,
        5,
        False,
    )
    assert syntax.help == rules.RULES.help_url("syntax-error")
    assert syntax.help.endswith("docs/rules/lint-format.md#syntax-error")
    assert unsafe.fixable is False
    assert unsafe.severity is Severity.WARNING
    assert (unsafe.path, unsafe.line, unsafe.column) == ("nb.ipynb", None, None)
    assert (unsafe.data["cell"], unsafe.data["cell_line"], unsafe.data["cell_column"]) == (3, 1, 1)
    assert unsafe.message.startswith("cell 3, line 1: Local variable")
    assert unsafe.data["fix"] == {"applicability": "unsafe", "message": "Remove assignment"}
    with pytest.raises(ValueError, match="not a list"):
        ruff.parse_check_json("{}", rel, "ruff-check")


def test_crash_reason() -> None:
    stderr = "ruff failed\n  Cause: Failed to parse pyproject.toml\n  |\n  ^^^\nwarning: x\n"
    assert ruff.crash_reason("ruff", stderr) == "ruff failed: Cause: Failed to parse pyproject.toml"
    assert ruff.crash_reason("ruff", "") == "ruff failed without a message"
    toml_error = (
        "ruff failed\n  Cause: Failed to parse p.toml\n  Cause: TOML parse error at line 2\n"
        '  |\n2 | line-length = "x"\n  |               ^^^\ninvalid type: string\n'
    )
    assert ruff.crash_reason("ruff", toml_error) == (
        "ruff failed: Cause: Failed to parse p.toml: Cause: TOML parse error at line 2: "
        "invalid type: string"
    )


# ---------------------------------------------------------------------------
# mypy JSON


def _line(**fields: object) -> str:
    base = {"file": "p/m.py", "line": 3, "column": 4, "end_line": 3, "end_column": 9}
    base.update(hint=None, code=None, severity="error", message="")
    base.update(fields)
    return json.dumps(base)


def test_mypy_parse_attaches_notes_and_context() -> None:
    text = "\n".join(
        [
            _line(line=-1, column=-1, end_line=-1, end_column=-1, severity="note", message="In f:"),
            _line(code="arg-type", message="Bad arg", hint="Expected: int"),
            _line(severity="note", message="See the docs"),
            _line(line=9, column=0, severity="note", code="misc", message="Revealed type"),
            "Found 1 error in 1 file",
            "",
        ]
    )
    findings, other = mypy.parse(text, rel)
    assert other == ["Found 1 error in 1 file"]
    error, note = findings
    assert (error.rule, error.path, error.line, error.column, error.end_column) == (
        "arg-type",
        "p/m.py",
        3,
        5,
        10,
    )
    assert error.message == "Bad arg\nExpected: int\nnote: See the docs"
    assert error.data == {"hint": "Expected: int", "context": "In f:", "notes": ["See the docs"]}
    assert (note.severity, note.line, note.column, note.rule) == (Severity.NOTE, 9, 1, "misc")
    assert not note.blocking


def test_mypy_parse_without_location_or_code() -> None:
    findings, _ = mypy.parse(_line(file=None, line=-1, column=-1, message="m") + "\n[1]\n", rel)
    (finding,) = findings
    assert (finding.rule, finding.path, finding.line, finding.column) == ("mypy", None, None, None)


def test_mypy_failure_line() -> None:
    assert mypy._failure("Traceback (most recent call last):\n  x\nKeyError: 'y'\n") == (
        "KeyError: 'y'"
    )
    assert mypy._failure("noise\nm.py: error: INTERNAL ERROR\n") == "m.py: error: INTERNAL ERROR"
    assert mypy._failure("something odd\n") == "something odd"


def test_mypy_config_names_files(tmp_path: Path) -> None:
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is None
    write_files(tmp_path, {"setup.cfg": "[metadata]\nname = x\n"})
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is None
    write_files(tmp_path, {"setup.cfg": "[mypy]\nfiles = src\n"})
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is True
    write_files(tmp_path, {"pyproject.toml": "[tool.mypy]\nstrict = true\n"})
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is False
    write_files(tmp_path, {"pyproject.toml": '[tool.mypy]\nfiles = ["a"]\n'})
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is True
    write_files(tmp_path, {".mypy.ini": "[mypy]\nstrict = True\n"})
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is False
    write_files(tmp_path, {"mypy.ini": "[mypy]\nfiles = a, b\n"})
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is True
    write_files(tmp_path, {"mypy.ini": "not an ini file ["})
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is False


def test_mypy_broken_pyproject_and_setup_cfg(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": "[tool.mypy\n", "setup.cfg": "[mypy]\nfiles=x\n"})
    # A broken pyproject is mypy's to report; the search goes on like mypy's own.
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is True
    write_files(tmp_path, {"setup.cfg": "garbage ["})
    assert mypy.config_names_files(ProjectFiles(tmp_path)) is None


def test_mypy_default_targets_src_layout(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "src/app/__init__.py": "",
            "src/ns/mod.py": "",  # a namespace package counts
            "src/app.egg-info/PKG-INFO": "",
            "src/empty/README": "",
            "src/single.py": "",
            "tests/test_app.py": "",
            "app2/__init__.py": "",
        },
    )
    assert mypy.default_targets(tmp_path) == ["src/app", "src/ns", "src/single.py"]


def test_mypy_default_targets_flat_layout(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "app/__init__.py": "",
            "notapkg/mod.py": "",
            "tests/__init__.py": "",
            "docs/conf.py": "",
            ".venv/lib/site.py": "",
            "build/lib/app/__init__.py": "",
            "_private/__init__.py": "",
            "manage.py": "",
            "setup.py": "",
            "conftest.py": "",
            "test_top.py": "",
            "top_test.py": "",
        },
    )
    assert mypy.default_targets(tmp_path) == ["app", "manage.py"]


# ---------------------------------------------------------------------------
# standards


SOURCE = """
def public(a): ...
def _private(a): ...
def __dunder__(a): ...
class Api:
    def method(self, a): ...
    def _hidden(self, a): ...
    class Inner:
        async def deep(self, a): ...
class _Internal:
    def method(self, a): ...
def outer(
    a,
):
    def inner(b): ...
    return inner
"""


def test_functions_public_flags() -> None:
    infos = {i.qualname: i for i in standards.functions(ast.parse(SOURCE))}
    public = sorted(name for name, info in infos.items() if info.public)
    assert public == ["Api.Inner.deep", "Api.method", "__dunder__", "outer", "public"]
    assert infos["outer"].line == 12 and infos["outer"].signature_end == 14
    assert infos["outer.<locals>.inner"].public is False


def test_keep_drops_private_annotations_and_exempt_paths(tmp_path: Path) -> None:
    write_files(tmp_path, {"lib/m.py": SOURCE, "broken.py": "def (:\n"})
    sources = standards.Sources(tmp_path)

    def finding(rule: str, path: str, line: int) -> Finding:
        return Finding(rule=rule, severity=Severity.ERROR, message="m", path=path, line=line)

    assert standards.keep(finding("ANN001", "lib/m.py", 2), sources)
    assert not standards.keep(finding("ANN001", "lib/m.py", 3), sources)
    assert not standards.keep(finding("ANN001", "lib/m.py", 11), sources)
    assert standards.keep(finding("ANN001", "lib/m.py", 13), sources)  # multi-line signature
    assert not standards.keep(finding("ANN001", "lib/m.py", 15), sources)
    assert standards.keep(finding("ANN001", "broken.py", 1), sources)  # unparsable: keep
    assert not standards.keep(finding("T201", "tests/unit/test_x.py", 1), sources)
    assert not standards.keep(finding("T201", "scripts/run.py", 1), sources)
    assert not standards.keep(finding("T201", "pkg/__main__.py", 1), sources)
    assert standards.keep(finding("T201", "pkg/cli.py", 1), sources)
    assert not standards.keep(finding("S105", "pkg/conftest.py", 1), sources)
    assert standards.keep(finding("S105", "scripts/deploy.py", 1), sources)
    assert standards.keep(finding("S608", "tests/test_sql.py", 1), sources)
    assert not standards.keep(finding("F401", "pkg/cli.py", 1), sources)
    assert standards.long_functions(["broken.py", "notes.txt"], sources, 1) == []


def test_standard_paths() -> None:
    assert standards.is_test_path("pkg/x_test.py")
    assert standards.is_test_path("testing/helpers.py")
    assert not standards.is_test_path("src/contest.py")
    assert standards.is_script_path("bin/tool")
    assert not standards.is_script_path("src/pkg/tools.py")
    assert standards.applies(standards.BY_RULE["T201"], None)


def test_every_preset_rule_names_a_standard() -> None:
    assert set(standards.RUFF_RULES) | standards.OWN_RULES == set(standards.BY_RULE)
    assert "long-function" not in standards.RUFF_RULES
    from qualgate.gates.lint_format.gate import STANDARDS_CHECK

    assert standards.STANDARDS_CHECK == STANDARDS_CHECK


# ---------------------------------------------------------------------------
# tools


def test_parse_version_and_install_commands(tmp_path: Path) -> None:
    assert tools.parse_version("1.11.2") == (1, 11, 2)
    assert tools.parse_version("1.10.0+dev.abc") == (1, 10, 0)
    assert tools.parse_version("2.0rc1") == (2, 0)
    own = env.Environment(root=tmp_path, python=str(tmp_path / ".venv/bin/python"), own=True)
    assert own.install_hint("ruff") == "`.venv/bin/python -m pip install ruff`"
    ours = env.Environment(root=tmp_path, python=sys.executable, own=False)
    assert ours.install_hint("mypy>=1.11") == f"`{sys.executable} -m pip install 'mypy>=1.11'`"


def test_find_ruff_explicit_not_executable(tmp_path: Path) -> None:
    fake = tmp_path / "ruff"
    fake.write_text("not a program", encoding="utf-8")
    ours = env.Environment(root=tmp_path, python=sys.executable, own=False)
    with pytest.raises(ToolMissing) as info:
        tools.find_ruff(tmp_path, fake, ours)
    assert info.value.hint == f"install ruff: `{sys.executable} -m pip install ruff`"


def _interpreter(tmp_path: Path, body: str) -> str:
    path = tmp_path / "python"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_find_mypy_too_old_and_broken_interpreters(tmp_path: Path) -> None:
    old = _interpreter(tmp_path, """echo '{"mypy": "0.790"}'""")
    project = env.Environment(root=tmp_path, python=old, own=True)
    with pytest.raises(GateError, match=r"mypy 0\.790 is too old") as info:
        tools.find_mypy(project, 30)
    assert info.value.hint == "upgrade it: `python -m pip install 'mypy>=1.11'`"
    text = env.Environment(
        root=tmp_path, python=_interpreter(tmp_path, """echo '{"mypy": "0.971"}'"""), own=True
    )
    command = tools.find_mypy(text, 30)
    assert (command.json_output, command.version) == (False, "0.971")
    broken = _interpreter(tmp_path, "echo boom >&2; exit 3")
    with pytest.raises(GateError, match="failed: boom"):
        tools.find_mypy(env.Environment(root=tmp_path, python=broken, own=True), 30)
    missing = env.Environment(root=tmp_path, python=str(tmp_path / "missing-python"), own=True)
    with pytest.raises(GateError, match="cannot be run"):
        tools.find_mypy(missing, 30)


# ---------------------------------------------------------------------------
# A ruff that misbehaves (a stand-in executable given with --ruff): never a pass.


def _fake_ruff(tmp_path: Path, script: str) -> str:
    path = tmp_path / "bin" / "ruff"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script + "\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ('echo "not json"; exit 1', "ruff printed no readable JSON"),
        ("echo '[]'; echo 'error: lost' >&2; exit 1", "ruff failed: error: lost"),
        ("echo 'panic: boom' >&2; exit 101", "ruff failed: panic: boom"),
    ],
)
def test_misbehaving_ruff_check_is_an_error(tmp_path: Path, script: str, reason: str) -> None:
    from tests.support import run_qualgate

    project = write_files(tmp_path / "p", {"m.py": "X = 1\n"})
    ruff_bin = _fake_ruff(
        tmp_path, f'case "$1" in --version) echo "ruff 9.9.9";; *) {script};; esac'
    )
    run = run_qualgate("lint-format", str(project), "--ruff", ruff_bin, "--checks", "ruff")
    assert run.code == 2
    assert reason in run.verdict["summary"]
    (check,) = run.verdict["checks"]
    assert (check["status"], check["tool_version"]) == ("error", "9.9.9")


def test_misbehaving_ruff_format_and_fix_are_errors(tmp_path: Path) -> None:
    from tests.support import run_qualgate

    project = write_files(tmp_path / "p", {"m.py": "X = 1\n"})
    # "would reformat" without a diff, and an error that is not a parse failure.
    ruff_bin = _fake_ruff(
        tmp_path,
        'case "$1" in --version) echo "ruff 9.9.9";;\n'
        'format) [ "$2" = "--diff" ] && exit 1; echo "error: disk on fire" >&2; exit 2;;\n'
        'check) [ "$2" = "--show-files" ] && echo "$PWD/m.py"; echo "[]";;\n'
        "esac",
    )
    run = run_qualgate("lint-format", str(project), "--ruff", ruff_bin, "--checks", "format")
    assert run.code == 2
    assert "reported changes but printed no diff" in run.verdict["summary"]
    run = run_qualgate(
        "lint-format", str(project), "--ruff", ruff_bin, "--checks", "ruff,format", "--fix"
    )
    assert run.code == 2
    checks = {c["name"]: c["status"] for c in run.verdict["checks"]}
    assert checks["ruff-format-fix"] == "error"
    assert checks["ruff-fix"] == "pass"
    assert "ruff-format-fix: ruff failed: error: disk on fire" in run.verdict["summary"]


def test_fix_when_ruff_cannot_list_files(tmp_path: Path) -> None:
    from tests.support import run_qualgate

    project = write_files(tmp_path / "p", {"m.py": "X = 1\n"})
    ruff_bin = _fake_ruff(
        tmp_path, 'echo "ruff failed" >&2; echo "  Cause: bad config" >&2; exit 2'
    )
    run = run_qualgate("lint-format", str(project), "--ruff", ruff_bin, "--fix", "--checks", "ruff")
    assert run.code == 2
    assert run.verdict["summary"] == "ruff failed: Cause: bad config"
    run = run_qualgate(
        "lint-format", str(project), "--ruff", ruff_bin, "--preset", "standards", "--checks", "ruff"
    )
    assert run.code == 2
    assert {c["name"]: c["status"] for c in run.verdict["checks"]} == {
        "ruff-check": "error",
        "standards": "error",
    }


def test_recorded_fix_command_summarises_long_file_lists() -> None:
    argv = ("ruff", "format", "--force-exclude", "--", *(f"f{i}.py" for i in range(21)))
    assert fix._short(argv, 21) == ("ruff", "format", "--force-exclude", "--", "<21 files>")
    assert fix._short(argv[:6], 2) == argv[:6]


def test_ruff_package_binary_is_the_installed_ruff() -> None:
    found = tools._ruff_package_binary()
    assert found is not None and Path(found).name == "ruff"
    assert Path(found).resolve() == Path(sys.executable).parent.joinpath("ruff").resolve()
