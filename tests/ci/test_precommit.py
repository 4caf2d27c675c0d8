"""The hooks of .pre-commit-hooks.yaml, run by pre-commit and by prek themselves.

Each tool installs qualgate from a snapshot of this checkout into its own hook
environment (``try-repo``) and runs the hooks in a temporary git repository shaped like a
real project: a clean commit passes every hook; staged defects fail the hook that owns
them (with the finding in its output); a hook whose files did not change is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import FIXTURES, REPO, git, git_init, write_files

MANIFEST = REPO / ".pre-commit-hooks.yaml"
TOOLS = ("pre-commit", "prek")
HOOKS = {
    "lint-format": "qualgate lint-format",
    "openapi-lint": "qualgate openapi-lint",
    "migration-check": "qualgate migration-check (static)",
    "artifact-validate": "qualgate artifact-validate",
    "dependency-scan": "qualgate dependency-scan (offline)",
    "integrity": "qualgate integrity",
}


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed (dev extra)")
    return found


def test_the_manifest_declares_each_gate_hook_as_intended() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}
    assert {k: v["name"] for k, v in hooks.items()} == HOOKS
    for hook_id, hook in hooks.items():
        # Whole-project gates: no file list on the command line, one run at a time.
        assert hook["pass_filenames"] is False, hook_id
        assert hook["require_serial"] is True, hook_id
        assert hook["language"] == "python", hook_id
        assert hook["entry"].startswith(f"qualgate {hook_id}"), hook_id
        assert "files" in hook or hook.get("always_run") is True, hook_id
    assert hooks["migration-check"]["entry"].endswith("--static-only")
    assert hooks["dependency-scan"]["entry"].endswith("--offline")


@pytest.mark.parametrize("tool", TOOLS)
def test_the_manifest_is_valid_for_each_tool(tool: str) -> None:
    done = subprocess.run(
        [_tool(tool), "validate-manifest", str(MANIFEST)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("hook", "path", "runs"),
    [
        ("lint-format", "src/app/x.py", True),
        ("lint-format", "pyproject.toml", True),
        ("lint-format", "ruff.toml", True),
        ("lint-format", "README.md", False),
        ("openapi-lint", "openapi.yaml", True),
        ("openapi-lint", "docs/api.json", True),
        ("openapi-lint", "src/app/x.py", True),
        ("openapi-lint", "README.md", False),
        ("migration-check", "alembic.ini", True),
        ("migration-check", "migrations/versions/0001_init.py", True),
        ("migration-check", "alembic/env.py", True),
        ("migration-check", "src/app/x.py", False),
        ("artifact-validate", "artifacts/adr/0001.md", True),
        ("artifact-validate", "config/app.yaml", True),
        ("artifact-validate", "src/app/x.py", False),
        ("dependency-scan", "requirements.txt", True),
        ("dependency-scan", "requirements/dev.in", True),
        ("dependency-scan", "dev-requirements.txt", True),
        ("dependency-scan", "uv.lock", True),
        ("dependency-scan", "poetry.lock", True),
        ("dependency-scan", "pylock.dev.toml", True),
        ("dependency-scan", "frontend/package-lock.json", True),
        ("dependency-scan", "pyproject.toml", True),
        ("dependency-scan", "src/app/x.py", False),
        ("dependency-scan", "docs/requirements.md", False),
    ],
)
def test_files_filters(hook: str, path: str, runs: bool) -> None:
    """The `files` regex as pre-commit applies it (re.search on the repo-relative path)."""
    import re

    spec = next(h for h in yaml.safe_load(MANIFEST.read_text(encoding="utf-8")) if h["id"] == hook)
    assert bool(re.search(spec["files"], path)) is runs


# ---------------------------------------------------------------------------
# The real tools.


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout as a hook repository: its files (tracked and new) in one commit."""
    snapshot = tmp_path_factory.mktemp("qualgate-hooks")
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = REPO / rel
        if source.is_file() and not source.is_symlink():
            target = snapshot / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git_init(snapshot, "snapshot")
    return snapshot


@pytest.fixture(scope="module")
def tool_homes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each tool keeps its hook environments: installed once per test module."""
    return tmp_path_factory.mktemp("hook-homes")


def make_project(root: Path) -> Path:
    """A small project with a clean first commit, and ruff in its own .venv."""
    write_files(
        root,
        {
            "pyproject.toml": (
                '[project]\nname = "app"\nversion = "1"\n\n'
                '[tool.qualgate.lint-format]\nchecks = ["ruff", "format"]\n\n'
                '[tool.qualgate.dependency-scan]\nvuln-db = "osv"\n'
            ),
            "src/app/__init__.py": '"""The app."""\n',
            "src/app/core.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
            "tests/test_core.py": (
                "from app.core import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n"
            ),
            "requirements.txt": "urllib3==1.26.17\n",
            "README.md": "# app\n",
            ".gitignore": ".venv/\n.qualgate/\n",
        },
    )
    shutil.copytree(FIXTURES / "deps" / "mixed-npm" / "osv", root / "osv")
    # The project's own environment with its ruff, where lint-format looks first.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff is not None
    wrapper = root / ".venv" / "bin" / "ruff"
    wrapper.write_text(f'#!/bin/sh\nexec "{ruff}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return git_init(root)


def try_repo(
    tool: str, project: Path, hook_repo: Path, homes: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(homes / "pre-commit"),
        "PREK_HOME": str(homes / "prek"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "NO_COLOR": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [_tool(tool), "try-repo", str(hook_repo), *args, "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _hook_line(output: str, hook_id: str) -> str:
    name = HOOKS[hook_id]
    return next(line for line in output.splitlines() if line.startswith(name + "."))


@pytest.mark.slow
@pytest.mark.parametrize("tool", TOOLS)
def test_hooks_with_the_real_tool(
    tool: str, tmp_path: Path, hook_repo: Path, tool_homes: Path
) -> None:
    project = make_project(tmp_path / "project")

    # A clean project: every hook passes (or has nothing to check).
    done = try_repo(tool, project, hook_repo, tool_homes, "--all-files")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for hook_id in HOOKS:
        assert _hook_line(output, hook_id).endswith("Passed"), output

    # Staged defects fail the hooks that own them, with the finding in their output.
    (project / "src" / "app" / "core.py").write_text(
        "import os\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n", encoding="utf-8"
    )
    (project / "requirements.txt").write_text("urllib3==1.26.16\n", encoding="utf-8")
    (project / "tests" / "test_core.py").write_text(
        "import pytest\n\nfrom app.core import add\n\n\n@pytest.mark.skip\n"
        "def test_add() -> None:\n    assert add(1, 2) == 3\n",
        encoding="utf-8",
    )
    git(project, "add", "-A")
    done = try_repo(tool, project, hook_repo, tool_homes)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert _hook_line(output, "lint-format").endswith("Failed")
    assert _hook_line(output, "dependency-scan").endswith("Failed")
    assert _hook_line(output, "integrity").endswith("Failed")
    assert "F401" in output
    assert "GHSA-v845-jxx5-vc9f" in output
    assert "new-skip-mark" in output
    # No Alembic file changed: the static migration check is not even started.
    assert "Skipped" in _hook_line(output, "migration-check")
    git(project, "reset", "-q", "--hard")

    # Only a README changes: the file-filtered hooks skip, integrity still runs and passes.
    (project / "README.md").write_text("# app\n\nMore.\n", encoding="utf-8")
    git(project, "add", "-A")
    done = try_repo(tool, project, hook_repo, tool_homes)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for hook_id in ("lint-format", "dependency-scan", "migration-check", "openapi-lint"):
        assert "Skipped" in _hook_line(output, hook_id), output
    assert _hook_line(output, "integrity").endswith("Passed")
    verdict = json.loads((project / ".qualgate" / "verdicts" / "integrity.json").read_text())
    assert verdict["status"] == "pass"
