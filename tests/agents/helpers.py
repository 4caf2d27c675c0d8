"""Shared by the agent tests: recorded payloads, a demo project, and one hook call."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from qualgate.cli import cli
from tests.support import git_init, write_files

PAYLOADS = Path(__file__).resolve().parent / "payloads"
TRANSCRIPT = PAYLOADS / "transcript.jsonl"

DEMO = {
    "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\n',
    "src/demo/__init__.py": "def compute() -> int:\n    return 3\n",
    "tests/test_demo.py": (
        "import pytest\n\nfrom demo import compute\n\n\ndef test_adds():\n"
        "    assert 1 + 1 == 2\n\n\ndef test_compute():\n    assert compute() == 3\n"
    ),
}


def payload(name: str, project: Path, **changes: Any) -> str:
    """A recorded payload (``claude/stop``) for ``project``, with fields changed."""
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    text = text.replace("{project}", json.dumps(str(project))[1:-1])
    text = text.replace("{transcript}", json.dumps(str(TRANSCRIPT))[1:-1])
    data = json.loads(text)
    data.update(changes)
    return json.dumps(data)


def demo_project(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    root = write_files(tmp_path / "demo", {**DEMO, **(extra or {})})
    return git_init(root)


@dataclass
class Hook:
    code: int
    stdout: str
    stderr: str

    @property
    def reply(self) -> dict[str, Any] | None:
        if not self.stdout.strip():
            return None
        data = json.loads(self.stdout)
        assert isinstance(data, dict)
        return data


def hook(agent: str, stdin: str, *args: str) -> Hook:
    """``qualgate hook AGENT ARGS`` in-process with ``stdin`` as the payload."""
    result = CliRunner().invoke(cli, ["hook", agent, *args], input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Hook(code=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def add_skip(project: Path, test: str = "test_adds") -> None:
    path = project / "tests/test_demo.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(f"def {test}", f"@pytest.mark.skip\ndef {test}", 1), encoding="utf-8"
    )
