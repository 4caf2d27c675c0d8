"""Attacks on lint-format: a repository choosing the binaries it runs, file names taken
for options, secrets printed. Each test builds its hostile repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.hostile.conftest import Layout, no_secret_anywhere
from tests.support import git, git_init, run_qualgate, write_files

GATE = "lint-format"
PROJECT = {
    "pyproject.toml": '[tool.ruff.lint]\nselect = ["F"]\n\n[tool.mypy]\nstrict = true\n',
    "pkg/__init__.py": "",
    "pkg/m.py": "def f() -> int:\n    return 1\n",
}


def _canary_binary(path: Path, canary: Path) -> None:
    """An executable that, if ever run, leaves a file behind (and answers like a tool)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"#!/bin/sh\ntouch {canary}\necho '[]'\necho '{{}}'\nexit 0\n", encoding="utf-8"
    )
    path.chmod(0o755)


def test_committed_venv_binaries_are_never_run(layout: Layout) -> None:
    root, canary = layout.root, layout.outside / "ran"
    write_files(root, PROJECT)
    _canary_binary(root / ".venv" / "bin" / "ruff", canary)
    _canary_binary(root / ".venv" / "bin" / "python", canary)
    git_init(root)  # the pull request ships .venv/bin/*
    run = run_qualgate(GATE, str(root))
    assert not canary.exists(), "a binary the repository ships was run"
    assert run.verdict is not None
    assert run.code == 0, run.stdout
    refused = run.verdict["metrics"]["environment"]["refused"]
    assert "git tracks .venv/bin/python" in refused[0]
    for check in run.verdict["checks"]:
        assert not check["command"][0].startswith(str(root)), check


def test_venv_linked_to_a_tracked_folder_is_refused(layout: Layout) -> None:
    root, canary = layout.root, layout.outside / "ran"
    write_files(root, PROJECT)
    _canary_binary(root / "tools" / "env" / "bin" / "python", canary)
    _canary_binary(root / "tools" / "env" / "bin" / "ruff", canary)
    (root / ".venv").symlink_to("tools/env")
    git_init(root)
    run_qualgate(GATE, str(root))
    assert not canary.exists()


def test_untracked_venv_outside_git_is_not_trusted(layout: Layout) -> None:
    """An unpacked archive: no git, so no way to tell the venv was made here."""
    root, canary = layout.root, layout.outside / "ran"
    write_files(root, PROJECT)
    _canary_binary(root / ".venv" / "bin" / "python", canary)
    _canary_binary(root / ".venv" / "bin" / "ruff", canary)
    run = run_qualgate(GATE, str(root))
    assert not canary.exists()
    assert "not a git work tree" in run.verdict["metrics"]["environment"]["refused"][0]


def test_repo_config_cannot_choose_python_or_ruff(layout: Layout) -> None:
    root, canary = layout.root, layout.outside / "ran"
    files = dict(PROJECT)
    files["pyproject.toml"] += (
        '\n[tool.qualgate.lint-format]\npython = "evil/python"\nruff = "evil/ruff"\n'
    )
    write_files(root, files)
    _canary_binary(root / "evil" / "python", canary)
    _canary_binary(root / "evil" / "ruff", canary)
    git_init(root)
    run = run_qualgate(GATE, str(root))
    assert run.code == 2
    assert not canary.exists()
    # The command line (the user) may choose them.
    write_files(root, PROJECT)
    run_qualgate(GATE, str(root), "--ruff", str(root / "evil" / "ruff"), "--checks", "ruff")
    assert canary.exists()


def test_tracked_binary_on_path_is_not_run(layout: Layout) -> None:
    """CI that activates the checkout's .venv puts the repository's bin/ on PATH."""
    root, canary = layout.root, layout.outside / "ran"
    write_files(root, PROJECT)
    _canary_binary(root / "bin" / "pyright", canary)
    write_files(root, {"pyrightconfig.json": "{}"})
    git_init(root)
    env = {"PATH": f"{root / 'bin'}:{os.environ['PATH']}"}
    run_qualgate(GATE, str(root), "--checks", "pyright", env=env)
    assert not canary.exists()


def test_file_names_are_never_options(layout: Layout) -> None:
    """`--exclude=bad.py` or `@args` at the top level must not steer mypy (nor pylint)."""
    root = layout.root
    write_files(
        root,
        {
            "pyproject.toml": "[tool.mypy]\nstrict = true\n",
            "good.py": "def f() -> int:\n    return 1\n",
            "--exclude=bad.py": 'def g() -> int:\n    return "x"\n',
            "@args.py": "--version\n",
        },
    )
    git_init(root)
    run = run_qualgate(GATE, str(root), "--checks", "mypy")
    command = run.verdict["checks"][0]["command"]
    assert "./--exclude=bad.py" in command and "--exclude=bad.py" not in command
    assert "./@args.py" in command
    # Either mypy refuses the odd module names (error) or checks them (fail): never a pass.
    assert run.code in (1, 2), run.stdout


def test_fix_never_writes_through_a_link_out_of_the_project(layout: Layout) -> None:
    root = layout.root
    victim = layout.outside / "victim.py"
    victim.write_text("import os\nx=1\n", encoding="utf-8")
    write_files(root, {"pyproject.toml": "[tool.ruff.format]\n", "pkg/__init__.py": ""})
    (root / "pkg" / "link.py").symlink_to(victim)
    run = run_qualgate(GATE, str(root), "--fix", "--checks", "ruff,format")
    assert victim.read_text(encoding="utf-8") == "import os\nx=1\n"
    assert run.verdict["metrics"]["files_outside_project"] == ["pkg/link.py"]


def test_a_secret_in_code_reaches_no_output(layout: Layout) -> None:
    root = layout.root
    token = "ghp_" + "Zz9" * 12
    write_files(
        root,
        {
            "pkg/__init__.py": "",
            # mypy quotes literal types in messages: the secret must be masked there too.
            "pkg/m.py": f'from typing import Final\n\nTOKEN: Final = "{token}"\nN: int = TOKEN\n',
            "pyproject.toml": "[tool.mypy]\nstrict = true\n[tool.ruff.lint]\n",
        },
    )
    git_init(root)
    outputs = []
    for fmt in ("json", "text", "sarif", "github", "markdown"):
        run = run_qualgate(GATE, str(root), "--preset", "standards", "--format", fmt)
        outputs.append(run.stdout + run.stderr)
    no_secret_anywhere(token, *outputs, root=root)


def test_untracked_developer_venv_is_used(layout: Layout) -> None:
    """The rule refuses what the repository ships, not what the developer made."""
    root = layout.root
    write_files(root, {**PROJECT, ".gitignore": ".venv/\n"})
    git_init(root)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    run = run_qualgate(GATE, str(root), "--checks", "mypy")
    assert run.verdict["metrics"]["environment"] == {"python": ".venv/bin/python"}
    git(root, "status")
