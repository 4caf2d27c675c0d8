"""`qualgate init`: into an empty project, into one with hook files of its own, twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualgate.cli import cli
from tests.agents.helpers import add_skip, payload
from tests.support import git, git_init, run_qualgate, write_files

ALL_AGENTS = "claude,codex,cursor,copilot"
QUALGATE = str(Path(sys.executable).parent / "qualgate")


def init(root: Path, *args: str) -> tuple[int, dict[str, str]]:
    result = CliRunner().invoke(cli, ["init", str(root), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    actions = {}
    for line in result.stdout.splitlines()[1:]:
        action, path = line.split(maxsplit=1)
        actions[path] = action
    return result.exit_code, actions


def read_json(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def commands(data: object) -> list[str]:
    text = json.dumps(data)
    return [c for c in ("agent-hook.sh claude", "agent-hook.sh codex") if c in text]


def test_init_into_an_empty_repository_writes_everything_once(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    code, actions = init(root, "--agent", ALL_AGENTS)
    assert code == 0
    assert set(actions.values()) == {"created"}
    for path in (
        "tools/ci/integrity.sh",
        "tools/ci/all.sh",
        "tools/ci/agent-hook.sh",
        "qualgate.toml",
        ".claude/settings.json",
        ".codex/hooks.json",
        ".cursor/hooks.json",
        ".github/hooks/qualgate.json",
        "AGENTS.md",
        ".github/workflows/qualgate.yml",
        ".gitignore",
    ):
        assert actions.get(path) == "created", (path, actions)
    for wrapper in ("tools/ci/integrity.sh", "tools/ci/all.sh", "tools/ci/agent-hook.sh"):
        assert os.access(root / wrapper, os.X_OK)
    assert (root / "qualgate.toml").read_text().endswith('[all]\ngates = ["integrity"]\n')
    claude = read_json(root / ".claude/settings.json")["hooks"]
    assert set(claude) == {"SessionStart", "Stop", "PostToolUse"}  # type: ignore[arg-type]
    cursor = read_json(root / ".cursor/hooks.json")
    assert cursor["version"] == 1 and set(cursor["hooks"]) == {"sessionStart", "stop"}  # type: ignore[arg-type]
    copilot = read_json(root / ".github/hooks/qualgate.json")
    stop = copilot["hooks"]["agentStop"][0]  # type: ignore[index]
    assert stop["bash"].endswith("agent-hook.sh copilot --event agentStop")
    assert stop["timeoutSec"] == 600
    codex = read_json(root / ".codex/hooks.json")["hooks"]
    assert codex["Stop"][0]["hooks"][0]["timeout"] == 600  # type: ignore[index]
    assert "tools/ci/all.sh --format agent" in (root / "AGENTS.md").read_text()
    assert ".qualgate/" in (root / ".gitignore").read_text().splitlines()
    # A second run changes nothing.
    code, again = init(root, "--agent", ALL_AGENTS)
    assert code == 0 and set(again.values()) == {"unchanged"}, again


def test_wrappers_run_their_command(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"app.py": "x = 1\n"})
    git_init(root)
    init(root)
    done = subprocess.run(
        [str(root / "tools/ci/all.sh"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "QUALGATE": QUALGATE},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "qualgate all" in done.stdout


def test_init_merges_into_existing_files_and_keeps_theirs(tmp_path: Path) -> None:
    theirs = {"type": "command", "command": "echo finished"}
    root = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": '[project]\nname = "demo"\n\n[tool.ruff]\nline-length = 100\n',
            "app.py": "x = 1\n",
            ".claude/settings.json": json.dumps(
                {"permissions": {"allow": ["Bash(ls:*)"]}, "hooks": {"Stop": [{"hooks": [theirs]}]}}
            ),
            ".cursor/hooks.json": json.dumps(
                {"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}]}}
            ),
            "AGENTS.md": "# Agents\n\nUse tabs.\n",
            ".gitignore": "*.pyc\n",
        },
    )
    git_init(root)
    code, actions = init(root, "--agent", "claude,cursor")
    assert code == 0
    assert actions["pyproject.toml"] == "updated"
    pyproject = (root / "pyproject.toml").read_text()
    assert pyproject.startswith('[project]\nname = "demo"\n\n[tool.ruff]\nline-length = 100\n')
    assert '[tool.qualgate.all]\ngates = ["lint-format", "integrity"]' in pyproject
    settings = read_json(root / ".claude/settings.json")
    assert settings["permissions"] == {"allow": ["Bash(ls:*)"]}
    stop_groups = settings["hooks"]["Stop"]  # type: ignore[index]
    assert stop_groups[0] == {"hooks": [theirs]} and len(stop_groups) == 2
    cursor = read_json(root / ".cursor/hooks.json")["hooks"]
    assert cursor["afterFileEdit"] == [{"command": "./format.sh"}]  # type: ignore[index]
    agents_md = (root / "AGENTS.md").read_text()
    assert agents_md.startswith("# Agents\n\nUse tabs.\n\n<!-- qualgate:begin -->")
    assert (root / ".gitignore").read_text().startswith("*.pyc\n")
    _, again = init(root, "--agent", "claude,cursor")
    assert set(again.values()) == {"unchanged"}, again


def test_invalid_hook_json_is_not_touched_without_force(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {".cursor/hooks.json": "{not json"})
    result = CliRunner().invoke(cli, ["init", str(root), "--agent", "cursor"])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr and "--force" in result.stderr
    assert (root / ".cursor/hooks.json").read_text() == "{not json"
    code, actions = init(root, "--agent", "cursor", "--force")
    assert code == 0 and actions[".cursor/hooks.json"] == "updated"
    assert "stop" in read_json(root / ".cursor/hooks.json")["hooks"]  # type: ignore[operator]


def test_edited_files_are_kept_unless_forced(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    init(root)
    wrapper = root / "tools/ci/all.sh"
    wrapper.write_text("#!/bin/sh\nexit 0\n")
    agents_md = root / "AGENTS.md"
    agents_md.write_text(agents_md.read_text().replace("exits 0", "exits 1") + "\nMine.\n")
    _, actions = init(root)
    assert actions["tools/ci/all.sh"] == "kept"
    assert actions["AGENTS.md"] == "kept"
    assert wrapper.read_text() == "#!/bin/sh\nexit 0\n"
    _, forced = init(root, "--force")
    assert forced["tools/ci/all.sh"] == "updated"
    assert "exec" in wrapper.read_text()
    text = agents_md.read_text()
    assert "exits 0" in text and text.rstrip().endswith("Mine.")


def test_unknown_agent_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path), "--agent", "vim"])
    assert result.exit_code == 2
    assert "unknown agent 'vim'" in result.stderr


def test_the_written_hook_wrapper_gates_a_claude_stop(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "demo",
        {
            "tests/test_demo.py": "import pytest\n\n\ndef test_adds():\n    assert 1 + 1 == 2\n",
            "pyproject.toml": '[project]\nname = "demo"\n',
        },
    )
    git_init(root)
    init(root, "--agent", "claude")
    settings = read_json(root / ".claude/settings.json")
    command = settings["hooks"]["Stop"][0]["hooks"][0]["command"]  # type: ignore[index]
    env = {**os.environ, "QUALGATE": QUALGATE, "CLAUDE_PROJECT_DIR": str(root)}

    def run(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", "-c", f"{command} --gates integrity"],
            input=payload(name, root),
            capture_output=True,
            text=True,
            cwd=root / "tests",
            env=env,
            check=False,
        )

    assert run("claude/session-start").returncode == 0
    add_skip(root)
    done = run("claude/stop")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decision"] == "block"


@pytest.mark.slow
def test_all_passes_after_init_in_a_project_with_hook_files(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "svc",
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\n\n'
            '[tool.pytest.ini_options]\npythonpath = ["src"]\n\n'
            '[tool.coverage.run]\nsource = ["demo"]\n',
            "src/demo/__init__.py": '"""Demo."""\n\n\ndef compute() -> int:\n'
            '    """Three."""\n    return 3\n',
            "tests/test_demo.py": "from demo import compute\n\n\n"
            "def test_compute() -> None:\n    assert compute() == 3\n",
            ".claude/settings.json": '{"hooks": {"Stop": [{"hooks": [{"type": "command", '
            '"command": "echo done"}]}]}}\n',
            ".codex/hooks.json": '{"hooks": {"SessionStart": []}}\n',
        },
    )
    git_init(root)
    code, actions = init(root, "--agent", ALL_AGENTS)
    assert code == 0 and actions[".claude/settings.json"] == "updated"
    run = run_qualgate("all", str(root))
    assert run.code == 0, run.stdout
    assert run.verdict is not None
    assert run.verdict["metrics"]["gates"] == {
        "lint-format": "pass",
        "run-tests": "pass",
        "integrity": "pass",
    }
