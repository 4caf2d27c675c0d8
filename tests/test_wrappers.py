"""The shell wrappers agents call: they find qualgate and hand it the gate and arguments."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from qualgate.gates import GATES
from tests.support import REPO


@pytest.mark.parametrize("gate", sorted(GATES))
def test_wrapper_runs_its_gate_from_another_directory(gate: str, tmp_path: Path) -> None:
    wrapper = REPO / GATES[gate].wrapper
    assert wrapper.is_file()
    assert os.access(wrapper, os.X_OK)
    done = subprocess.run(
        [str(wrapper), "--help"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"qualgate {gate}" in done.stdout
    assert "Usage:" in done.stdout


def test_wrapper_passes_arguments_and_exit_code(tmp_path: Path) -> None:
    # Run from elsewhere; the wrapper works from the project root, so the verdict lands there.
    wrapper = REPO / "tools/ci/all.sh"
    done = subprocess.run(
        [str(wrapper), "--format", "json", "--timeout", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert '"status": "error"' in done.stdout
    assert "--timeout expects a number >= 1" in done.stdout


def _copy_wrapper(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "tools" / "ci").mkdir(parents=True)
    target = project / "tools" / "ci" / "lint-format.sh"
    shutil.copy2(REPO / "tools/ci/lint-format.sh", target)
    return target


def _fake_qualgate(path: Path, label: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{label} $*"; pwd\n', encoding="utf-8")
    path.chmod(0o755)


def test_wrapper_prefers_an_isolated_install_over_the_project_venv(tmp_path: Path) -> None:
    wrapper = _copy_wrapper(tmp_path)
    _fake_qualgate(tmp_path / "project" / ".venv" / "bin" / "qualgate", "venv")
    _fake_qualgate(tmp_path / "tool-bin" / "qualgate", "isolated")
    env = {"PATH": f"{tmp_path / 'tool-bin'}:/usr/bin:/bin"}
    done = subprocess.run(
        [str(wrapper), "--x", "a b"], cwd=tmp_path, capture_output=True, text=True, env=env,
        check=False,
    )  # fmt: skip
    assert done.stdout.splitlines() == [
        "isolated lint-format --x a b",
        str((tmp_path / "project").resolve()),
    ]
    chosen = {**env, "QUALGATE": str(tmp_path / "project" / ".venv" / "bin" / "qualgate")}
    done = subprocess.run(
        [str(wrapper)], cwd=tmp_path, capture_output=True, text=True, env=chosen, check=False
    )
    assert done.stdout.splitlines()[0] == "venv lint-format"


def test_wrapper_falls_back_to_the_project_venv(tmp_path: Path) -> None:
    wrapper = _copy_wrapper(tmp_path)
    _fake_qualgate(tmp_path / "project" / ".venv" / "bin" / "qualgate", "venv")
    done = subprocess.run(
        [str(wrapper), "--x", "a b"], cwd=tmp_path, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin"}, check=False,
    )  # fmt: skip
    assert done.stdout.splitlines() == [
        "venv lint-format --x a b",
        str((tmp_path / "project").resolve()),
    ]


def _no_qualgate_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A python3 that cannot import qualgate, and no qualgate on PATH.
    (bin_dir / "python3").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    (bin_dir / "python3").chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


def test_wrapper_without_qualgate_exits_2(tmp_path: Path) -> None:
    wrapper = _copy_wrapper(tmp_path)
    done = subprocess.run(
        [str(wrapper)], cwd=tmp_path, capture_output=True, text=True,
        env=_no_qualgate_env(tmp_path), check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "qualgate is not installed" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("fmt", [["--format", "json"], ["--format=json"]])
def test_wrapper_without_qualgate_prints_a_json_verdict(tmp_path: Path, fmt: list[str]) -> None:
    import json

    from tests.support import assert_valid_verdict

    wrapper = _copy_wrapper(tmp_path)
    done = subprocess.run(
        [str(wrapper), ".", *fmt], cwd=tmp_path, capture_output=True, text=True,
        env=_no_qualgate_env(tmp_path), check=False,
    )  # fmt: skip
    assert done.returncode == 2
    verdict = json.loads(done.stdout)
    assert_valid_verdict(verdict)
    assert verdict["gate"] == "lint-format" and verdict["status"] == "error"
    assert "pipx install" in verdict["next_steps"][0]


def test_wrapper_never_runs_a_committed_venv(tmp_path: Path) -> None:
    from tests.support import git_init

    wrapper = _copy_wrapper(tmp_path)
    project = tmp_path / "project"
    canary = tmp_path / "ran"
    fake = project / ".venv" / "bin" / "qualgate"
    fake.parent.mkdir(parents=True)
    fake.write_text(f"#!/bin/sh\ntouch {canary}\n", encoding="utf-8")
    fake.chmod(0o755)
    git_init(project)  # the .venv is committed: the repository's, not the developer's
    done = subprocess.run(
        [str(wrapper)], cwd=project, capture_output=True, text=True,
        env=_no_qualgate_env(tmp_path), check=False,
    )  # fmt: skip
    assert not canary.exists()
    assert done.returncode == 2 and "qualgate is not installed" in done.stderr
