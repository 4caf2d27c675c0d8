"""Which interpreter is the project's: --python, the project's venv, its workspace's, the
active one, else qualgate's own; and the trust rule of the reader gates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qualgate import pyenv
from qualgate.errors import GateError
from tests.support import git, git_init, run_qualgate, write_files


def fake_venv(folder: Path) -> Path:
    """A venv-shaped folder (pyvenv.cfg, bin/python): enough for discovery."""
    python = folder / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return python


@pytest.fixture(autouse=True)
def no_active_venv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("QUALGATE_PYTHON", raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A uv workspace: one environment at the repository's top, members below it."""
    top = write_files(
        tmp_path / "repo",
        {
            ".gitignore": ".venv/\n",
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["backend"]\n',
            "backend/pyproject.toml": '[project]\nname = "backend"\n',
        },
    )
    fake_venv(top / ".venv")
    git_init(top)
    return top


def test_given_wins_and_a_missing_one_is_an_error(workspace: Path) -> None:
    found = pyenv.find(workspace / "backend", sys.executable)
    assert (found.path, found.source, found.own) == (sys.executable, "given", True)
    with pytest.raises(GateError, match="no such interpreter"):
        pyenv.find(workspace, workspace / "nope" / "python")


def test_the_projects_own_venv_comes_before_the_workspaces(workspace: Path) -> None:
    member = workspace / "backend"
    assert pyenv.find(member, None) == pyenv.Interpreter(
        path=str(workspace / ".venv" / "bin" / "python"), source="workspace"
    )
    own = fake_venv(member / ".venv")
    assert pyenv.find(member, None).path == str(own)
    assert pyenv.find(member, None).source == "project"


def test_no_workspace_venv_is_looked_for_outside_a_repository(tmp_path: Path) -> None:
    # A .venv in some folder above an unversioned project belongs to something else.
    fake_venv(tmp_path / ".venv")
    project = write_files(tmp_path / "p", {"app.py": "x = 1\n"})
    found = pyenv.find(project, None)
    assert (found.path, found.source, found.own) == (sys.executable, "qualgate", False)


def test_the_search_stops_at_the_repository_top(tmp_path: Path) -> None:
    fake_venv(tmp_path / ".venv")  # above the repository: not the workspace's
    top = git_init(write_files(tmp_path / "repo", {"backend/app.py": "x = 1\n"}))
    assert pyenv.find(top / "backend", None).source == "qualgate"


def test_the_active_venv_is_used_unless_it_is_qualgates_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_files(tmp_path / "p", {"app.py": "x = 1\n"})
    active = fake_venv(tmp_path / "elsewhere")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "elsewhere"))
    assert pyenv.find(project, None) == pyenv.Interpreter(path=str(active), source="active")
    # qualgate itself runs in the activated venv: that is qualgate's (and the project's).
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    assert pyenv.find(project, None).source == "qualgate"


def test_a_workspace_venv_the_repository_commits_is_refused_to_reader_gates(
    tmp_path: Path,
) -> None:
    top = write_files(tmp_path / "repo", {"backend/app.py": "x = 1\n"})
    fake_venv(top / ".venv")
    git_init(top)  # commits .venv: shipped by the pull request
    member = top / "backend"
    found = pyenv.find(member, None, trusted=True)
    assert found.source == "qualgate"
    ((shown, why),) = found.refused
    assert shown == os.path.join("..", ".venv", "bin", "python")
    assert "commits its own environment (git tracks .venv/" in why
    # Gates that run the project's code by design use it (the code is run anyway).
    assert pyenv.find(member, None).source == "workspace"


def test_a_venv_made_here_passes_the_trust_rule(workspace: Path) -> None:
    found = pyenv.find(workspace / "backend", None, trusted=True)
    assert (found.source, found.refused) == ("workspace", ())


def test_outside_a_git_work_tree_no_venv_in_the_project_is_trusted(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"app.py": "x = 1\n"})
    fake_venv(project / ".venv")
    found = pyenv.find(project, None, trusted=True)
    assert found.source == "qualgate"
    assert "not a git work tree" in found.refused[0][1]


def test_binaries_on_path_inside_the_repository_obey_the_rule(tmp_path: Path) -> None:
    top = write_files(tmp_path / "repo", {"tools/ruff": "#!/bin/sh\n", "backend/a.py": ""})
    git_init(top)
    assert "git tracks tools/ruff" in (pyenv.shipped(top / "tools" / "ruff", top / "backend") or "")
    # Untracked (made by the developer), or outside the repository: allowed.
    (top / "tools" / "mine").write_text("#!/bin/sh\n")
    assert pyenv.shipped(top / "tools" / "mine", top / "backend") is None
    assert pyenv.shipped(Path(sys.executable), top / "backend") is None


def test_a_link_to_a_tracked_file_is_refused(tmp_path: Path) -> None:
    top = write_files(tmp_path / "repo", {"bin/tool": "#!/bin/sh\n", "a.py": ""})
    git_init(top)
    (top / "venv" / "bin").mkdir(parents=True)
    (top / "venv" / "bin" / "python").symlink_to(top / "bin" / "tool")
    git(top, "status")  # untracked venv/, but its python leads to a tracked file
    why = pyenv.shipped(top / "venv" / "bin" / "python", top)
    assert why is not None and "bin/tool" in why


def test_run_tests_in_a_workspace_member_uses_the_workspace_venv(tmp_path: Path) -> None:
    """A uv workspace: `uv sync` made one .venv at the top; the member has none. The
    member's tests import a package installed only there, and pass."""
    top = write_files(
        tmp_path / "repo",
        {
            ".gitignore": ".venv/\n",
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["backend"]\n',
            "backend/pyproject.toml": '[project]\nname = "backend"\n',
            "backend/app.py": "import workspace_only_dep\n\n\ndef f():\n    return 1\n",
            "backend/tests/test_app.py": "from app import f\n\n\ndef test_f():\n    assert f()\n",
        },
    )
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(top / ".venv")], check=True)
    site = next((top / ".venv" / "lib").glob("python3*/site-packages"))
    # The venv sees qualgate's test tools (pytest, coverage) and one package of its own.
    ours = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))
    (site / "ours.pth").write_text(ours + "\n")
    (site / "workspace_only_dep.py").write_text("VALUE = 1\n")
    git_init(top)
    run = run_qualgate("run-tests", str(top / "backend"))
    assert run.code == 0, run.stdout
    assert run.verdict is not None
    assert run.verdict["metrics"]["passed"] == 1


def test_version_of_reads_pyvenv_cfg_without_running_the_interpreter(tmp_path: Path) -> None:
    ours = ".".join(str(n) for n in sys.version_info[:3])
    assert pyenv.version_of(sys.executable) == ours
    python = fake_venv(tmp_path / "v")
    (tmp_path / "v" / "pyvenv.cfg").write_text("home = /x\nversion = 3.14.0\n")
    assert pyenv.version_of(str(python)) == "3.14.0"
    (tmp_path / "v" / "pyvenv.cfg").write_text("home = /x\nversion_info = 3.12.1.final.0\n")
    assert pyenv.version_of(str(python)) == "3.12.1"  # uv's spelling
    (tmp_path / "v" / "pyvenv.cfg").unlink()
    assert pyenv.version_of(str(python)) is None


def test_unsupported_names_the_requirement_and_the_version(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p", {"pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.99"\n'}
    )
    why = pyenv.unsupported(project, sys.executable)
    assert why is not None and why.startswith("the project requires Python >=3.99 and its")
    (project / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.8"\n')
    assert pyenv.unsupported(project, sys.executable) is None
    for broken in ("[project]\nrequires-python = 'not a spec'\n", "[project\n", "project = 1\n"):
        (project / "pyproject.toml").write_text(broken)
        assert pyenv.unsupported(project, sys.executable) is None


def test_migration_check_on_an_unsupported_python_says_so(tmp_path: Path) -> None:
    # A project written for a newer Python: env.py fails on its syntax or semantics here.
    from tests.gates.migration_check.factory import good_chain, make_project

    project = make_project(
        tmp_path / "p",
        good_chain(),
        extra={"pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.99"\n'},
    )
    env_py = project / "migrations" / "env.py"
    env_py.write_text("raise NameError(\"name 'Item' is not defined\")\n" + env_py.read_text())
    run = run_qualgate("migration-check", str(project), "--no-cache")
    assert run.code == 2 and run.verdict is not None
    assert "the project requires Python >=3.99 and its interpreter" in run.verdict["summary"]
    assert run.verdict["next_steps"][0].startswith(
        "point --python at a Python the project supports"
    )


def test_qualgate_python_points_every_gate_below_their_own_option(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = fake_venv(workspace.parent / "ci-python")
    monkeypatch.setenv("QUALGATE_PYTHON", str(other))
    found = pyenv.find(workspace / "backend", None, trusted=True)
    assert (found.path, found.source) == (str(other), "given")
    # A gate's own --python (or QUALGATE_<GATE>_PYTHON) wins over it.
    assert pyenv.find(workspace / "backend", sys.executable).path == sys.executable
    monkeypatch.setenv("QUALGATE_PYTHON", str(workspace / "nope"))
    with pytest.raises(GateError, match=r"^\$QUALGATE_PYTHON .*: no such interpreter"):
        pyenv.find(workspace, None)
    # The CLI: `all` and every gate honour it (a missing one is an error verdict).
    run = run_qualgate("run-tests", str(workspace / "backend"))
    assert run.code == 2 and run.verdict is not None
    assert run.verdict["summary"].startswith("$QUALGATE_PYTHON ")


def test_an_activated_venv_the_repository_commits_is_refused_to_reader_gates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CI job that sources the checkout's .venv/bin/activate: a committed one stays unused.
    top = write_files(tmp_path / "repo", {"backend/app.py": "x = 1\n"})
    fake_venv(top / "env")
    git_init(top)
    monkeypatch.setenv("VIRTUAL_ENV", str(top / "env"))
    found = pyenv.find(top / "backend", None, trusted=True)
    assert found.source == "qualgate"
    assert "commits its own environment (git tracks env/" in found.refused[0][1]
    assert pyenv.find(top / "backend", None).source == "active"


def test_every_gate_declares_python_the_same_way() -> None:
    import importlib

    from qualgate.gates import GATES

    found = {}
    for name, info in GATES.items():
        options = getattr(importlib.import_module(info.module), "OPTIONS", ())
        for option in options:
            if option.name == "python":
                found[name] = option
    assert set(found) == {
        "run-tests", "lint-format", "openapi-lint", "migration-check", "seed", "dependency-scan"
    }  # fmt: skip
    for name, option in found.items():
        assert "$QUALGATE_PYTHON" in option.help and "$VIRTUAL_ENV" in option.help, name
    # Gates that only read (or import an app) never let the repository pick the binary.
    cli_only = {name for name, option in found.items() if option.cli_only}
    assert cli_only == {"lint-format", "openapi-lint", "dependency-scan"}
