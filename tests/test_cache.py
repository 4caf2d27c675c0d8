"""The result cache: a gate whose inputs did not change answers from its last run, and a
change to any one input makes the next run real (a cache never turns a fail into a pass)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qualgate.cache import signature
from qualgate.gates import GATES, GateInfo
from qualgate.verdict import Status, Verdict, from_dict, to_dict
from tests.support import git_init, run_qualgate, write_files

REAL_PACKAGE_SIG = signature.package_sig


@pytest.fixture(autouse=True)
def own_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test under its own cache secret (as on a machine of its own), and qualgate's
    own code taken as unchanged during a test (a checkout being edited would change it)."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.setattr(signature, "package_sig", lambda _package: "this qualgate")
    return home


@pytest.fixture
def cache_gate(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(
        GATES, "cg", GateInfo(name="cg", module="tests.cache_gate", help="c", wrapper="-")
    )
    return "cg"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "proj",
        {
            "app.py": "a = 1\nb = 2\n",
            "a.cfg": "x = 1\n",
            "conf/more.cfg": "y = 2\n",
            "data/input.txt": "hello\n",
            "docs/one.md": "# one\n",
        },
    )


def run(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = run_qualgate(*args, env=env)
    assert done.verdict is not None, done.stdout + done.stderr
    return done.verdict


def test_an_unchanged_run_is_replayed_with_the_same_findings(fake_gate: str, project: Path) -> None:
    first = run_qualgate(fake_gate, str(project), "--mode", "fail")
    second = run_qualgate(fake_gate, str(project), "--mode", "fail")
    assert first.code == second.code == 1
    assert first.verdict is not None and second.verdict is not None
    assert "cached" not in first.verdict
    assert second.verdict["cached"] is True
    assert second.verdict["findings"] == first.verdict["findings"]
    assert second.verdict["summary"] == first.verdict["summary"]
    assert second.verdict["checks"] == first.verdict["checks"]
    written = json.loads((project / ".qualgate/verdicts/fake.json").read_text())
    assert written["cached"] is True
    # A person reading text output is told too (the checks' times are the replayed run's).
    text = run_qualgate(fake_gate, str(project), "--mode", "fail", "--format", "text")
    assert "ms, from the result cache; --no-cache runs it again)" in text.stdout


INPUT_CHANGES: dict[str, Callable[[Path], dict[str, str] | None]] = {}


def _change(name: str) -> Callable[[Callable[[Path], dict[str, str] | None]], None]:
    def register(fn: Callable[[Path], dict[str, str] | None]) -> None:
        INPUT_CHANGES[name] = fn

    return register


@_change("a source file")
def _source(root: Path) -> None:
    (root / "app.py").write_text("a = 1\nb = 3\n")


@_change("a new file")
def _new_file(root: Path) -> None:
    (root / "new_module.py").write_text("c = 1\n")


@_change("a deleted file")
def _deleted(root: Path) -> None:
    (root / "docs/one.md").unlink()


@_change("a git-ignored .env file")
def _dotenv(root: Path) -> None:
    (root / ".env").write_text("SECRET_MODE=2\n")


@_change("a tracked file in a folder the walk skips")
def _tracked_in_build(root: Path) -> None:
    (root / "build/generated.py").write_text("x = 2\n")


@_change("a config key")
def _config(root: Path) -> None:
    (root / "pyproject.toml").write_text("[tool.qualgate.fake]\nlevel = 5\n")


@_change("an environment variable")
def _env(_root: Path) -> dict[str, str]:
    return {"APP_SETTING": "2"}


@_change("the gate's own environment variable")
def _gate_env(_root: Path) -> dict[str, str]:
    return {"QUALGATE_FAKE_LEVEL": "4"}


@_change("a package installed in the project's interpreter")
def _installed(root: Path) -> None:
    site = next((root / ".venv/lib").glob("python3*/site-packages"))
    (site / "ruff-0.1.0.dist-info").rename(site / "ruff-0.2.0.dist-info")


@pytest.mark.parametrize("change", sorted(INPUT_CHANGES))
def test_changing_any_one_input_makes_the_next_run_real(
    fake_gate: str, project: Path, change: str
) -> None:
    # A project venv whose interpreter is ours, with a distribution of its own.
    site = project / ".venv/lib/python3.11/site-packages"
    (site / "ruff-0.1.0.dist-info").mkdir(parents=True)
    (project / ".venv/bin").mkdir(parents=True)
    (project / ".venv/bin/python").symlink_to(sys.executable)
    (project / ".venv/pyvenv.cfg").write_text("home = /usr/bin\n")
    (project / ".gitignore").write_text(".env\n.venv/\n")
    write_files(project, {"build/generated.py": "x = 1\n"})
    git_init(project)
    base_env = {"APP_SETTING": "1"}
    assert "cached" not in run(fake_gate, str(project), "--mode", "fail", env=base_env)
    assert run(fake_gate, str(project), "--mode", "fail", env=base_env)["cached"] is True
    extra = INPUT_CHANGES[change](project) or {}
    again = run(fake_gate, str(project), "--mode", "fail", env={**base_env, **extra})
    assert "cached" not in again, f"{change} did not make the run real"
    assert again["status"] == "fail"


def test_options_and_extra_arguments_are_part_of_the_key(fake_gate: str, project: Path) -> None:
    run(fake_gate, str(project))
    assert run(fake_gate, str(project))["cached"] is True
    assert "cached" not in run(fake_gate, str(project), "--level", "7")
    assert "cached" not in run(fake_gate, str(project), "--", "-k", "x")
    assert run(fake_gate, str(project), "--", "-k", "x")["cached"] is True


def test_timeout_and_require_do_not_change_the_answer(fake_gate: str, project: Path) -> None:
    run(fake_gate, str(project), "--mode", "skip")
    assert run(fake_gate, str(project), "--mode", "skip", "--timeout", "20")["cached"] is True
    required = run_qualgate(fake_gate, str(project), "--mode", "skip", "--require")
    assert required.code == 1  # --require still applies to a replayed answer
    assert required.verdict is not None and required.verdict["cached"] is True


def test_no_cache_forces_a_run(fake_gate: str, project: Path) -> None:
    run(fake_gate, str(project))
    assert "cached" not in run(fake_gate, str(project), "--no-cache")
    assert "cached" not in run(fake_gate, str(project), env={"QUALGATE_FAKE_CACHE": "false"})
    (project / "pyproject.toml").write_text("[tool.qualgate.fake]\ncache = false\n")
    assert "cached" not in run(fake_gate, str(project))


def test_errors_are_never_cached(fake_gate: str, project: Path) -> None:
    for _ in range(2):
        done = run_qualgate(fake_gate, str(project), "--mode", "gate-error")
        assert done.code == 2
        assert done.verdict is not None and "cached" not in done.verdict


def test_a_forged_or_foreign_entry_is_never_replayed(
    fake_gate: str, project: Path, own_secret: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(fake_gate, str(project), "--mode", "fail")
    (entry,) = (project / ".qualgate/cache/fake").glob("*.json")
    document = json.loads(entry.read_text())
    document["body"]["verdict"]["status"] = "pass"
    document["body"]["verdict"]["findings"] = []
    entry.write_text(json.dumps(document))  # edited: its MAC no longer holds
    done = run_qualgate(fake_gate, str(project), "--mode", "fail")
    assert done.code == 1
    assert done.verdict is not None and "cached" not in done.verdict
    # A cache made under another user's secret (a committed one) matches no key.
    assert run(fake_gate, str(project), "--mode", "fail")["cached"] is True
    monkeypatch.setenv("XDG_CACHE_HOME", str(own_secret.parent / "someone-else"))
    assert "cached" not in run(fake_gate, str(project), "--mode", "fail")


def test_without_a_secret_nothing_is_cached(
    fake_gate: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    for _ in range(2):
        done = run_qualgate(fake_gate, str(project))
        assert done.code == 0
        assert done.verdict is not None and "cached" not in done.verdict


def test_declared_inputs_narrow_the_key(cache_gate: str, project: Path) -> None:
    run(cache_gate, str(project), "--mode", "fail")
    (project / "app.py").write_text("not an input of this gate\n")
    assert run(cache_gate, str(project), "--mode", "fail")["cached"] is True
    (project / "conf/more.cfg").write_text("y = 3\n")
    assert "cached" not in run(cache_gate, str(project), "--mode", "fail")
    assert run(cache_gate, str(project), "--mode", "fail", env={"UNRELATED": "1"})["cached"]
    assert "cached" not in run(
        cache_gate, str(project), "--mode", "fail", env={"CACHE_GATE_X": "1"}
    )


def test_files_read_in_process_are_inputs_even_undeclared(cache_gate: str, project: Path) -> None:
    args = (cache_gate, str(project), "--read", "data/input.txt")
    assert run(*args)["metrics"]["texts"] == ["hello\n"]  # type: ignore[index]
    assert run(*args)["cached"] is True
    (project / "data/input.txt").write_text("changed\n")
    again = run(*args)
    assert "cached" not in again
    assert again["metrics"]["texts"] == ["changed\n"]  # type: ignore[index]


def test_folders_listed_in_process_are_inputs(cache_gate: str, project: Path) -> None:
    args = (cache_gate, str(project), "--list", "docs")
    run(*args)
    assert run(*args)["cached"] is True
    (project / "docs/two.md").write_text("# two\n")
    again = run(*args)
    assert "cached" not in again
    assert again["metrics"]["listed"] == [["one.md", "two.md"]]  # type: ignore[index]


def test_a_tool_upgrade_makes_the_next_run_real(
    cache_gate: str, project: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "sometool"
    tool.write_text("#!/bin/sh\necho 1.0\n")
    tool.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    args = (cache_gate, str(project), "--tools", "sometool")
    run(*args, env=env)
    assert run(*args, env=env)["cached"] is True
    replacement = bin_dir / "sometool.new"
    replacement.write_text("#!/bin/sh\necho 2.0\n")
    replacement.chmod(0o755)
    replacement.replace(tool)  # how an upgrade lands: a new file under the old name
    assert "cached" not in run(*args, env=env)


def test_a_declared_file_outside_the_project_is_an_input(
    cache_gate: str, project: Path, tmp_path: Path
) -> None:
    user_config = tmp_path / "user" / "tool.toml"
    user_config.parent.mkdir()
    user_config.write_text("a = 1\n")
    args = (cache_gate, str(project), "--outside", str(user_config))
    run(*args)
    assert run(*args)["cached"] is True
    user_config.write_text("a = 2\n")
    assert "cached" not in run(*args)


def test_an_answer_made_while_its_inputs_changed_is_not_kept(
    cache_gate: str, project: Path
) -> None:
    args = (cache_gate, str(project), "--touch", "a.cfg")
    run(*args)
    (project / "a.cfg").write_text("x = 1\n")  # back to what the first run started from
    assert "cached" not in run(*args)


def test_base_marking_applies_to_a_replayed_answer(fake_gate: str, project: Path) -> None:
    git_init(project)
    plain = run(fake_gate, str(project), "--mode", "fail")
    assert plain["status"] == "fail"
    scoped = run(fake_gate, str(project), "--mode", "fail", "--base", "HEAD")
    replayed = run(fake_gate, str(project), "--mode", "fail", "--base", "HEAD")
    assert replayed["cached"] is True
    assert scoped["status"] == replayed["status"]  # the fake gate's checks are not base-scoped
    assert replayed["findings"] == scoped["findings"]
    assert run(fake_gate, str(project), "--mode", "fail")["status"] == "fail"


def test_the_baseline_applies_to_a_replayed_answer(fake_gate: str, project: Path) -> None:
    first = run(fake_gate, str(project), "--mode", "fail")
    (fingerprint,) = [f["fingerprint"] for f in first["findings"]]  # type: ignore[union-attr]
    baseline = {"format": 1, "gates": {"fake": {fingerprint: {"rule": "F1"}}}}
    (project / ".qualgate/baseline.json").write_text(json.dumps(baseline))
    replayed = run_qualgate(fake_gate, str(project), "--mode", "fail")
    assert replayed.code == 0
    assert replayed.verdict is not None and replayed.verdict["cached"] is True
    assert replayed.verdict["findings"][0]["existing"] is True


def test_the_verdict_folder_ignores_itself(fake_gate: str, project: Path) -> None:
    git_init(project)
    run(fake_gate, str(project))
    ignore = (project / ".qualgate/.gitignore").read_text()
    assert "*\n" in ignore and "!baseline.json" in ignore
    from tests.support import git

    assert git(project, "status", "--porcelain") == ""


def test_an_edit_to_qualgates_own_code_changes_its_signature(tmp_path: Path) -> None:
    package = write_files(tmp_path / "pkg", {"a.py": "x = 1\n", "schemas/s.json": "{}"})
    before = REAL_PACKAGE_SIG(package)
    (package / "a.py").write_text("x = 2\n")
    assert REAL_PACKAGE_SIG(package) != before


def test_the_cached_field_round_trips_and_is_absent_on_fresh_runs() -> None:
    verdict = Verdict(gate="x", status=Status.PASS, summary="s")
    assert "cached" not in to_dict(verdict)
    assert from_dict(to_dict(verdict.replace(cached=True))).cached is True


@pytest.mark.slow
def test_run_tests_reruns_when_a_module_the_tests_import_changes(tmp_path: Path) -> None:
    project = tmp_path / "rt"
    outside = tmp_path / "shared_lib"
    outside.mkdir()
    (outside / "helper_mod.py").write_text("def value():\n    return 1\n")
    write_files(
        project,
        {
            "conftest.py": f"import sys\nsys.path.insert(0, {str(outside)!r})\n",
            "tests/test_x.py": (
                "from helper_mod import value\n\n\ndef test_value():\n    assert value() == 1\n"
            ),
            "pyproject.toml": "[tool.qualgate.run-tests]\ncoverage-min = 0\n",
        },
    )
    first = run("run-tests", str(project))
    assert first["status"] == "pass", first["summary"]
    assert "cached" not in first
    assert run("run-tests", str(project))["cached"] is True
    # The module lives outside the project: only coverage data tells the tests import it.
    (outside / "helper_mod.py").write_text("def value():\n    return 2\n")
    again = run_qualgate("run-tests", str(project))
    assert again.code == 1
    assert again.verdict is not None and "cached" not in again.verdict


@pytest.mark.slow
def test_lint_format_replays_and_reruns_on_an_edit(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "lf",
        {
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": "import os\n",
            "pyproject.toml": '[tool.qualgate.lint-format]\nchecks = ["ruff", "format"]\n',
        },
    )
    first = run_qualgate("lint-format", str(root))
    assert first.code == 1
    second = run_qualgate("lint-format", str(root))
    assert second.verdict is not None and second.verdict["cached"] is True
    assert second.code == 1 and second.verdict["findings"] == first.findings
    (root / "src/pkg/mod.py").write_text("import os\n\nprint(os.sep)\n")
    third = run_qualgate("lint-format", str(root))
    assert third.code == 0
    assert third.verdict is not None and "cached" not in third.verdict
    shutil.rmtree(root / ".qualgate" / "cache")
    assert "cached" not in run("lint-format", str(root))  # a removed cache is a real run


def test_a_cache_folder_linked_out_of_the_project_is_never_written(
    fake_gate: str, project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project / ".qualgate").mkdir()
    (project / ".qualgate/cache").symlink_to(outside)
    for _ in range(2):
        done = run_qualgate(fake_gate, str(project))
        assert done.code == 0
        assert done.verdict is not None and "cached" not in done.verdict
    assert list(outside.iterdir()) == []


def test_a_gate_folder_linked_out_of_the_cache_is_never_written(
    fake_gate: str, project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project / ".qualgate/cache").mkdir(parents=True)
    (project / ".qualgate/cache/fake").symlink_to(outside)
    run(fake_gate, str(project))
    assert "cached" not in run(fake_gate, str(project))
    assert list(outside.iterdir()) == []


def test_a_damaged_cache_costs_a_run_never_an_error(fake_gate: str, project: Path) -> None:
    run(fake_gate, str(project), "--mode", "fail")
    for path in (project / ".qualgate/cache").rglob("*.json"):
        path.write_text("{damaged")
    done = run_qualgate(fake_gate, str(project), "--mode", "fail")
    assert done.code == 1
    assert done.verdict is not None and "cached" not in done.verdict
    assert run(fake_gate, str(project), "--mode", "fail")["cached"] is True
