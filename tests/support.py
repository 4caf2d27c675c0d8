"""Helpers every test module shares: run the CLI, validate verdicts, copy fixtures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from qualgate.cli import cli
from qualgate.verdict import validate_document

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = REPO.parent / "shared"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    verdict: dict[str, Any] | None

    @property
    def findings(self) -> list[dict[str, Any]]:
        assert self.verdict is not None, self.stdout
        findings: list[dict[str, Any]] = self.verdict["findings"]
        return findings

    def rules(self) -> list[str]:
        return [f["rule"] for f in self.findings]


def assert_valid_verdict(document: Mapping[str, Any]) -> None:
    """Fail the test when ``document`` does not match the verdict schema."""
    errors = validate_document(document)
    assert not errors, "verdict does not match the schema:\n" + "\n".join(errors)


def run_qualgate(*args: str, env: Mapping[str, str] | None = None, input: str | None = None) -> Run:
    """Run ``qualgate ARGS`` in-process with ``--format json`` added when no format is given.

    The stdout verdict, when JSON, is parsed and validated against the schema; so is
    the verdict file the run wrote (when the run names a project root).
    """
    argv = list(args)
    has_format = "--format" in argv or any(a.startswith("--format=") for a in argv)
    plain = {"schema", "config", "explain", "--help", "--version"}
    if not has_format and argv and argv[0] not in plain:
        # Before `--`: what follows it belongs to the gate's tool.
        cut = argv.index("--") if "--" in argv else len(argv)
        argv[cut:cut] = ["--format", "json"]
    result = CliRunner().invoke(cli, argv, env=dict(env or {}), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    verdict = None
    out = result.stdout
    if out.lstrip().startswith("{"):
        document = json.loads(out)
        if isinstance(document, dict) and "gate" in document and "$schema" not in document:
            verdict = document
            assert_valid_verdict(verdict)
    return Run(code=result.exit_code, stdout=out, stderr=result.stderr, verdict=verdict)


def read_verdict_file(root: Path, gate: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (root / ".qualgate" / "verdicts" / f"{gate}.json").read_text(encoding="utf-8")
    )
    assert_valid_verdict(data)
    return data


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy ``tests/fixtures/<name>`` to ``dest/<basename>`` and return the copy."""
    source = FIXTURES / name
    target = dest / Path(name).name
    shutil.copytree(source, target)
    return target


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    """Create ``files`` (relative path -> text) under ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def git_init(root: Path, message: str = "initial") -> Path:
    """Make ``root`` a git repository with everything in it committed."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, "--allow-empty")
    return root


def shared_path(*parts: str) -> Path:
    """A path under ../shared (tests skip when it is absent, as on a user's clone)."""
    import pytest

    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only beside the repo in CI and dev)")
    return path


def subprocess_run(
    argv: Sequence[str], cwd: Path, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, **kwargs)
