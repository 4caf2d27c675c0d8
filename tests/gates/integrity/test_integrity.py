"""The integrity gate on temporary git repositories: each guard, the allow list, the base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import Run, git, git_init, run_qualgate, write_files

TESTS = """import pytest


def test_adds():
    assert 1 + 1 == 2


def test_uses_helper():
    value = compute()
    assert value == 3


class TestGroup:
    def test_method(self):
        self.assertEqual(1, 1)
"""

PYPROJECT = """[project]
name = "demo"

[tool.ruff.lint]
select = ["E", "F", "B"]
ignore = ["E501"]

[tool.mypy]
strict = true

[tool.pytest.ini_options]
addopts = "-ra"
testpaths = ["tests"]

[tool.coverage.run]
omit = ["src/demo/vendored.py"]

[tool.coverage.report]
fail_under = 90

[tool.qualgate.run-tests]
coverage-min = 90

[tool.qualgate.lint-format]
checks = ["ruff", "format", "mypy"]
"""


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    write_files(
        root,
        {
            "pyproject.toml": PYPROJECT,
            "src/demo/__init__.py": "def compute() -> int:\n    return 3\n",
            "tests/test_demo.py": TESTS,
            "tools/ci/lint-format.sh": '#!/bin/sh\nexec qualgate lint-format "$@"\n',
        },
    )
    return git_init(root)


def integrity(root: Path, *args: str) -> Run:
    return run_qualgate("integrity", str(root), *args)


def edit(root: Path, path: str, old: str, new: str) -> None:
    target = root / path
    text = target.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")


def blocking(run: Run) -> list[tuple[str, str | None, int | None]]:
    return [
        (f["rule"], f.get("path"), f.get("line")) for f in run.findings if f["severity"] == "error"
    ]


def test_unchanged_project_passes(repo: Path) -> None:
    run = integrity(repo)
    assert run.code == 0, run.stdout
    assert run.verdict is not None
    assert run.verdict["status"] == "pass"
    assert run.verdict["summary"] == "nothing changed since HEAD"


def test_not_a_repository_is_skipped_with_the_reason(tmp_path: Path) -> None:
    write_files(tmp_path, {"app.py": "x = 1\n"})
    run = integrity(tmp_path)
    assert run.code == 0
    assert run.verdict is not None and run.verdict["status"] == "skipped"
    assert "not a git repository" in run.verdict["summary"]
    assert integrity(tmp_path, "--require").code == 1


def test_new_skip_mark_is_found_at_its_line(repo: Path) -> None:
    edit(
        repo,
        "tests/test_demo.py",
        "def test_adds",
        '@pytest.mark.skip(reason="flaky")\ndef test_adds',
    )
    run = integrity(repo)
    assert run.code == 1
    assert blocking(run) == [("new-skip-mark", "tests/test_demo.py", 4)]
    assert "pytest.mark.skip" in run.findings[0]["message"]


@pytest.mark.parametrize(
    "code",
    [
        "    pytest.skip('later')\n",
        "    pytest.xfail('known bug')\n",
        "    self.skipTest('no db')\n",
        "    pytest.importorskip('numpy')\n",
    ],
)
def test_skip_calls_inside_a_test_are_found(repo: Path, code: str) -> None:
    edit(
        repo,
        "tests/test_demo.py",
        "    def test_method(self):\n",
        "    def test_method(self):\n" + code.replace("    ", "        ", 1),
    )
    run = integrity(repo)
    assert [r for r, _, _ in blocking(run)] == ["new-skip-mark"]


def test_xfail_and_imported_skip_decorators_are_found(repo: Path) -> None:
    edit(
        repo, "tests/test_demo.py", "import pytest\n", "import pytest\nfrom unittest import skip\n"
    )
    edit(repo, "tests/test_demo.py", "def test_adds", "@skip('x')\ndef test_adds")
    edit(
        repo,
        "tests/test_demo.py",
        "def test_uses_helper",
        "@pytest.mark.xfail\ndef test_uses_helper",
    )
    run = integrity(repo)
    rules = [r for r, _, _ in blocking(run)]
    assert rules == ["new-skip-mark", "new-skip-mark"]


SKIPPED_A = "@pytest.mark.skip(reason='gpu')\ndef test_a():\n    assert f()\n"
PLAIN_B = "def test_b():\n    assert g()\n"


def test_a_moved_skip_mark_is_not_new(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "p", {"tests/test_x.py": f"import pytest\n\n\n{SKIPPED_A}\n\n{PLAIN_B}"}
    )
    git_init(root)
    (root / "tests/test_x.py").write_text(
        f"import pytest\n\n\n{PLAIN_B}\n\n{SKIPPED_A}", encoding="utf-8"
    )
    run = integrity(root)
    assert run.code == 0, run.stdout


def test_deleted_test_function_and_file(repo: Path) -> None:
    edit(
        repo,
        "tests/test_demo.py",
        "class TestGroup:\n    def test_method(self):\n        self.assertEqual(1, 1)\n",
        "",
    )
    write_files(repo, {"tests/test_other.py": "def test_z():\n    assert True is not False\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more")
    base = git(repo, "rev-parse", "HEAD~1").strip()
    (repo / "tests/test_other.py").unlink()
    run = integrity(repo, "--base", base)
    found = {(r, p) for r, p, _ in blocking(run)}
    assert ("deleted-test", "tests/test_demo.py") in found
    messages = " ".join(f["message"] for f in run.findings)
    assert "TestGroup::test_method" in messages


def test_a_test_moved_to_another_file_is_not_deleted(repo: Path) -> None:
    edit(repo, "tests/test_demo.py", "def test_adds():\n    assert 1 + 1 == 2\n", "")
    write_files(repo, {"tests/test_math.py": "def test_adds():\n    assert 1 + 1 == 2\n"})
    run = integrity(repo)
    assert run.code == 0, run.stdout


@pytest.mark.parametrize(
    ("new_body", "words"),
    [
        ("    pass\n", "does nothing"),
        ("    assert True\n", "does nothing"),
        ("    value = compute()\n    print(value)\n", "no assertion left"),
    ],
)
def test_emptied_test_is_found(repo: Path, new_body: str, words: str) -> None:
    edit(repo, "tests/test_demo.py", "    value = compute()\n    assert value == 3\n", new_body)
    run = integrity(repo)
    assert blocking(run) == [("emptied-test", "tests/test_demo.py", 8)]
    assert words in run.findings[0]["message"]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("import os  # noqa: F401\n", "new-noqa"),
        ("x: int = 'a'  # type: ignore[assignment]\n", "new-type-ignore"),
        ("def f():  # pragma: no cover\n    return 1\n", "new-no-cover"),
        ("# ruff: noqa\n", "new-noqa"),
        ("# mypy: ignore-errors\n", "new-type-ignore"),
    ],
)
def test_new_suppression_comments_are_found(repo: Path, line: str, rule: str) -> None:
    with (repo / "src/demo/__init__.py").open("a", encoding="utf-8") as handle:
        handle.write(line)
    run = integrity(repo)
    assert blocking(run) == [(rule, "src/demo/__init__.py", 3)]


def test_suppression_text_in_a_string_or_an_existing_comment_is_not_new(repo: Path) -> None:
    write_files(repo, {"src/demo/old.py": "import os  # noqa: F401\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "old noqa")
    with (repo / "src/demo/__init__.py").open("a", encoding="utf-8") as handle:
        handle.write('HELP = "add # noqa or # type: ignore to silence"\n')
    edit(repo, "src/demo/old.py", "import os", "import sys, os")
    run = integrity(repo)
    assert run.code == 0, run.stdout


def test_config_is_compared_with_the_base_in_git_not_the_working_tree(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    edit(repo, "pyproject.toml", "coverage-min = 90", "coverage-min = 70")
    git(repo, "commit", "-qam", "lower the bar")
    # The working tree equals HEAD; against HEAD nothing changed, against the base it did.
    assert integrity(repo).code == 0
    run = integrity(repo, "--base", base)
    line = PYPROJECT.splitlines().index("coverage-min = 90") + 1
    assert blocking(run) == [("lowered-threshold", "pyproject.toml", line)]
    message = run.findings[0]["message"]
    assert "tool.qualgate.run-tests.coverage-min" in message and "90 to 70" in message


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ('select = ["E", "F", "B"]', 'select = ["E"]', "disabled-rule"),
        ('ignore = ["E501"]', 'ignore = ["E501", "F401"]', "disabled-rule"),
        ("strict = true", "strict = false", "disabled-rule"),
        ('addopts = "-ra"', "addopts = \"-ra -k 'not slow'\"", "narrowed-tests"),
        ('testpaths = ["tests"]', 'testpaths = ["tests/unit"]', "narrowed-tests"),
        (
            'omit = ["src/demo/vendored.py"]',
            'omit = ["src/demo/vendored.py", "src/demo/*"]',
            "coverage-omit",
        ),
        ("fail_under = 90", "fail_under = 50", "lowered-threshold"),
        ('checks = ["ruff", "format", "mypy"]', 'checks = ["ruff"]', "disabled-rule"),
    ],
)
def test_weaker_tool_configuration_is_found(repo: Path, old: str, new: str, rule: str) -> None:
    edit(repo, "pyproject.toml", old, new)
    run = integrity(repo)
    assert [r for r, _, _ in blocking(run)] == [rule], run.stdout
    assert run.findings[0]["path"] == "pyproject.toml"


def test_stricter_configuration_passes(repo: Path) -> None:
    edit(repo, "pyproject.toml", "coverage-min = 90", "coverage-min = 95")
    edit(repo, "pyproject.toml", 'select = ["E", "F", "B"]', 'select = ["E", "F", "B", "UP"]')
    edit(repo, "pyproject.toml", 'ignore = ["E501"]', "ignore = []")
    assert integrity(repo).code == 0


def test_a_new_config_file_that_shadows_pyproject_is_found(repo: Path) -> None:
    write_files(repo, {"ruff.toml": "line-length = 100\n", "mypy.ini": "[mypy]\nstrict = False\n"})
    run = integrity(repo)
    found = {(r, p) for r, p, _ in blocking(run)}
    assert ("disabled-rule", "ruff.toml") in found
    assert ("disabled-rule", "mypy.ini") in found


def test_coveragerc_omit_and_ini_pytest_addopts(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "p",
        {
            ".coveragerc": "[run]\nomit =\n    a.py\n",
            "pytest.ini": "[pytest]\naddopts = -q\n",
        },
    )
    git_init(root)
    edit(root, ".coveragerc", "    a.py\n", "    a.py\n    b.py\n")
    edit(root, "pytest.ini", "-q", "-q --deselect tests/test_x.py::test_slow")
    run = integrity(root)
    assert sorted(r for r, _, _ in blocking(run)) == ["coverage-omit", "narrowed-tests"]


def test_edited_or_deleted_wrapper_is_found(repo: Path) -> None:
    (repo / "tools/ci/lint-format.sh").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    run = integrity(repo)
    assert blocking(run) == [("wrapper-edited", "tools/ci/lint-format.sh", None)]
    (repo / "tools/ci/lint-format.sh").unlink()
    assert "deleted" in integrity(repo).findings[0]["message"]


def test_a_new_wrapper_is_not_an_edit(repo: Path) -> None:
    write_files(repo, {"tools/ci/run-tests.sh": "#!/bin/sh\nexec qualgate run-tests\n"})
    assert integrity(repo).code == 0


def test_removed_agent_hook_is_found(repo: Path) -> None:
    hooks = {
        "hooks": {
            "Stop": [{"hooks": [{"type": "command", "command": "tools/ci/agent-hook.sh claude"}]}]
        }
    }
    write_files(repo, {".claude/settings.json": json.dumps(hooks)})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hooks")
    (repo / ".claude/settings.json").write_text(json.dumps({"hooks": {}}), encoding="utf-8")
    assert blocking(integrity(repo)) == [("hook-removed", ".claude/settings.json", None)]
    hooks["disableAllHooks"] = True  # type: ignore[assignment]
    (repo / ".claude/settings.json").write_text(json.dumps(hooks), encoding="utf-8")
    assert "disableAllHooks" in integrity(repo).findings[0]["message"]


def test_allowance_turns_a_finding_into_a_note_with_its_reason(repo: Path) -> None:
    with (repo / "src/demo/__init__.py").open("a", encoding="utf-8") as handle:
        handle.write("import os  # noqa: F401\n")
    edit(
        repo,
        "pyproject.toml",
        "[tool.qualgate.run-tests]",
        '[tool.qualgate.integrity]\nallow = [{rule = "new-noqa", path = "src/demo/*.py", '
        'reason = "re-exported for plugins"}]\n\n[tool.qualgate.run-tests]',
    )
    run = integrity(repo)
    assert run.code == 0, run.stdout
    notes = [f for f in run.findings if f["rule"] == "new-noqa"]
    assert len(notes) == 1 and notes[0]["severity"] == "note"
    assert "re-exported for plugins" in notes[0]["message"]
    assert run.verdict is not None and run.verdict["metrics"]["allowed"] == 1


def test_allowance_of_another_path_does_not_apply(repo: Path) -> None:
    with (repo / "src/demo/__init__.py").open("a", encoding="utf-8") as handle:
        handle.write("import os  # noqa: F401\n")
    allow = '[{"rule": "new-noqa", "path": "src/other.py", "reason": "x"}]'
    assert integrity(repo, "--allow", allow).code == 1


@pytest.mark.parametrize(
    "allow",
    [
        '[{"rule": "new-noqa", "path": "a.py"}]',
        '[{"rule": "no-such-rule", "path": "a.py", "reason": "x"}]',
        '[{"rule": "new-noqa", "reason": "x"}]',
        '{"rule": "new-noqa"}',
    ],
)
def test_a_bad_allow_list_is_a_config_error(repo: Path, allow: str) -> None:
    run = integrity(repo, "--allow", allow)
    assert run.code == 2
    assert run.verdict is not None and "--allow" in run.verdict["summary"]


def test_fewer_tests_ran_than_at_the_base(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    verdicts = repo / ".qualgate" / "verdicts"
    verdicts.mkdir(parents=True)

    def run_tests_verdict(commit: str, dirty: bool, passed: int) -> None:
        document = {
            "gate": "run-tests",
            "project": {"commit": commit, "dirty": dirty},
            "metrics": {"passed": passed, "failed": 0, "errors": 0, "skipped": 0},
        }
        (verdicts / "run-tests.json").write_text(json.dumps(document), encoding="utf-8")

    run_tests_verdict(head, False, 12)  # a clean run at the base: remembered by the next run
    check = {c["name"]: c for c in integrity(repo).verdict["checks"]}["test-count"]  # type: ignore[index]
    assert check["status"] == "skipped"
    write_files(repo, {"tests/conftest.py": "collect_ignore = ['test_demo.py']\n"})
    run_tests_verdict(head, True, 0)
    run = integrity(repo)
    assert blocking(run) == [("fewer-tests", None, None)]
    assert "12 tests ran at HEAD, 0 now" in run.findings[0]["message"]
    run_tests_verdict(head, True, 12)
    assert integrity(repo).code == 0


def test_a_renamed_test_with_the_same_body_is_not_deleted(repo: Path) -> None:
    edit(repo, "tests/test_demo.py", "def test_adds():", "def test_adds_numbers():")
    assert integrity(repo).code == 0


def test_a_deleted_test_replaced_by_a_different_one_is_deleted(repo: Path) -> None:
    edit(
        repo,
        "tests/test_demo.py",
        "def test_adds():\n    assert 1 + 1 == 2\n",
        "def test_adds_numbers():\n    assert 2 > 1\n",
    )
    assert blocking(integrity(repo)) == [("deleted-test", "tests/test_demo.py", None)]
