"""`qualgate hook`: real gates through the pipeline on temp git projects, for every agent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qualgate.agents.hook import fingerprints
from tests.agents.helpers import Hook, add_skip, demo_project, hook, payload
from tests.support import REPO, git, run_qualgate

# Most tests gate on integrity alone: fast, no external tools, and it fails on a skip mark.
FAST = ("--gates", "integrity")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return demo_project(tmp_path)


def start(agent: str, name: str, project: Path, *args: str) -> Hook:
    done = hook(agent, payload(name, project), *args)
    assert done.code == 0
    return done


def test_passing_turn_lets_the_agent_stop(project: Path) -> None:
    start("claude", "claude/session-start", project)
    (project / "src/demo/__init__.py").write_text("def compute() -> int:\n    return 4 - 1\n")
    done = hook("claude", payload("claude/stop", project), *FAST)
    assert done.code == 0
    assert done.stdout == ""
    verdict = json.loads((project / ".qualgate/verdicts/integrity.json").read_text())
    assert verdict["status"] == "pass"


def test_failing_turn_is_blocked_with_a_reason_the_agent_can_act_on(project: Path) -> None:
    start("claude", "claude/session-start", project)
    add_skip(project)
    done = hook("claude", payload("claude/stop", project), *FAST)
    assert done.code == 0
    reply = done.reply
    assert reply is not None and reply["decision"] == "block"
    reason = reply["reason"]
    assert "tests/test_demo.py:6 new-skip-mark" in reason
    assert "reproduce: qualgate integrity" in reason
    assert len(reason) <= 8000
    assert reason.rstrip("\n") in done.stderr  # the reason is on stderr too


def test_the_session_base_is_the_tree_at_session_start(project: Path) -> None:
    # Uncommitted work from before the session is not this agent's doing.
    add_skip(project)
    start("claude", "claude/session-start", project)
    assert hook("claude", payload("claude/stop", project), *FAST).stdout == ""
    add_skip(project, "test_compute")
    reply = hook("claude", payload("claude/stop", project), *FAST).reply
    assert reply is not None and "tests/test_demo.py:11 new-skip-mark" in reply["reason"]
    assert ":6 new-skip-mark" not in reply["reason"]


def test_without_a_session_start_the_base_is_head(project: Path) -> None:
    add_skip(project)
    reply = hook("claude", payload("claude/stop", project, session_id="fresh"), *FAST).reply
    assert reply is not None and reply["decision"] == "block"


def test_base_session_ref_judges_against_the_recorded_snapshot(project: Path) -> None:
    add_skip(project)
    start("claude", "claude/session-start", project)
    assert run_qualgate("integrity", str(project), "--base", "refs/qualgate/session").code == 0
    assert run_qualgate("integrity", str(project)).code == 1  # against HEAD it fails


def test_base_session_alias(project: Path) -> None:
    missing = run_qualgate("integrity", str(project), "--base", "session")
    assert missing.code == 2
    assert missing.verdict is not None
    assert "no agent session recorded" in missing.verdict["summary"]
    add_skip(project)
    start("claude", "claude/session-start", project)
    assert run_qualgate("integrity", str(project), "--base", "session").code == 0


def test_loop_guard_lets_go_after_max_blocks_without_progress(project: Path) -> None:
    start("claude", "claude/session-start", project)
    add_skip(project)
    first = hook("claude", payload("claude/stop", project), *FAST).reply
    assert first is not None and "block 1 of 3" in first["reason"]
    for n in (2, 3):
        reply = hook("claude", payload("claude/stop-continuing", project), *FAST).reply
        assert reply is not None and f"block {n} of 3" in reply["reason"]
    released = hook("claude", payload("claude/stop-continuing", project), *FAST)
    assert released.reply is not None and "decision" not in released.reply
    assert "blocked 3 times in a row" in released.reply["systemMessage"]
    assert "blocked 3 times in a row" in released.stderr
    # The next turn is gated again.
    again = hook("claude", payload("claude/stop", project), *FAST).reply
    assert again is not None and again["decision"] == "block"


def test_progress_resets_the_loop_guard(project: Path) -> None:
    start("claude", "claude/session-start", project)
    add_skip(project)
    hook("claude", payload("claude/stop", project), *FAST, "--max-blocks", "1")
    add_skip(project, "test_compute")  # different findings: the agent is doing something
    reply = hook("claude", payload("claude/stop-continuing", project), *FAST, "--max-blocks", "1")
    assert reply.reply is not None and reply.reply["decision"] == "block"
    released = hook(
        "claude", payload("claude/stop-continuing", project), *FAST, "--max-blocks", "1"
    )
    assert released.reply is not None and "systemMessage" in released.reply


def test_an_error_blocks_once_then_lets_the_turn_end(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.qualgate.integrity]\nallow = "everything"\n'
    )
    start("claude", "claude/session-start", project)
    first = hook("claude", payload("claude/stop", project), *FAST).reply
    assert first is not None and first["decision"] == "block"
    assert "could not check" in first["reason"]
    assert "allow" in first["reason"]  # the reason names the bad key
    second = hook("claude", payload("claude/stop-continuing", project), *FAST).reply
    assert second is not None and "decision" not in second
    assert "could not check" in second["systemMessage"]


def test_an_aborted_cursor_turn_is_never_gated(project: Path) -> None:
    start("cursor", "cursor/session-start", project)
    add_skip(project)
    done = hook("cursor", payload("cursor/stop-aborted", project), *FAST)
    assert (done.code, done.stdout) == (0, "")
    assert not (project / ".qualgate/verdicts/integrity.json").exists()


@pytest.mark.parametrize(
    ("agent", "start_name", "stop_name", "args", "key"),
    [
        ("claude", "claude/session-start", "claude/stop", (), "reason"),
        ("codex", "codex/session-start", "codex/stop", (), "reason"),
        ("cursor", "cursor/session-start", "cursor/stop", (), "followup_message"),
        (
            "copilot",
            "copilot/session-start",
            "copilot/agent-stop",
            ("--event", "agentStop"),
            "reason",
        ),
        ("copilot", "copilot/session-start", "copilot/agent-stop", (), "reason"),
        ("copilot", "copilot/session-start", "copilot/agent-stop-vscode", (), "reason"),
    ],
)
def test_every_agent_blocks_in_its_own_json(
    project: Path, agent: str, start_name: str, stop_name: str, args: tuple[str, ...], key: str
) -> None:
    started = start(agent, start_name, project)
    assert (project / ".qualgate/agents").is_dir()
    if agent in ("claude", "codex"):
        context = started.reply
        assert context is not None and "qualgate judges" in json.dumps(context)
    add_skip(project)
    done = hook(agent, payload(stop_name, project), *FAST, *args)
    assert done.code == 0
    reply = done.reply
    assert reply is not None and "new-skip-mark" in reply[key], done.stderr
    if key == "reason":
        assert reply["decision"] == "block"


def test_the_reason_stays_under_8000_characters(project: Path) -> None:
    start("claude", "claude/session-start", project)
    lines = "".join(f"value_{i} = {i}  # noqa: E501 a long justification {i}\n" for i in range(400))
    (project / "src/demo/many.py").write_text(lines)
    reply = hook("claude", payload("claude/stop", project), *FAST).reply
    assert reply is not None
    reason = reply["reason"]
    assert len(reason) <= 8000
    assert "more (see the reproduce command)" in reason
    assert reason.rstrip().splitlines()[-1].startswith("reproduce: qualgate integrity")


def test_post_tool_use_reports_a_new_weakening_once(project: Path) -> None:
    start("claude", "claude/session-start", project)
    with (project / "src/demo/__init__.py").open("a") as handle:
        handle.write("import os  # noqa: F401\n")
    first = hook("claude", payload("claude/post-tool-use", project)).reply
    assert first is not None and first["decision"] == "block"
    assert "src/demo/__init__.py:3 new-noqa" in first["reason"]
    assert hook("claude", payload("claude/post-tool-use", project)).stdout == ""


def test_copilot_post_tool_use_answers_with_additional_context(project: Path) -> None:
    start("copilot", "copilot/session-start", project)
    add_skip(project)
    reply = hook("copilot", payload("copilot/post-tool-use", project)).reply
    assert reply is not None and "new-skip-mark" in reply["additionalContext"]


def test_default_profile_runs_only_integrity_for_a_docs_change(project: Path) -> None:
    start("claude", "claude/session-start", project)
    (project / "NOTES.md").write_text("# notes\n")
    assert hook("claude", payload("claude/stop", project)).stdout == ""
    ran = json.loads((project / ".qualgate/verdicts/integrity.json").read_text())
    assert ran["status"] == "pass"
    assert not (project / ".qualgate/verdicts/lint-format.json").exists()


def test_nothing_changed_runs_no_gate(project: Path) -> None:
    start("claude", "claude/session-start", project)
    assert hook("claude", payload("claude/stop", project)).stdout == ""
    assert not (project / ".qualgate/verdicts").exists()


@pytest.mark.parametrize("stdin", ["not json", "[1, 2]", ""])
def test_a_broken_payload_never_breaks_the_agent(project: Path, stdin: str) -> None:
    done = hook("claude", stdin)
    assert done.code == 0
    assert done.stdout == ""


def test_a_real_hook_process_exits_0_with_json_on_stdout(project: Path) -> None:
    start("claude", "claude/session-start", project)
    add_skip(project)
    done = subprocess.run(
        [sys.executable, "-m", "qualgate", "hook", "claude", *FAST],
        input=payload("claude/stop", project),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decision"] == "block"
    assert "new-skip-mark" in done.stderr


def test_session_refs_keep_the_base_alive(project: Path) -> None:
    start("claude", "claude/session-start", project)
    refs = git(project, "for-each-ref", "--format=%(refname)", "refs/qualgate/").split()
    assert "refs/qualgate/session" in refs
    assert any(r.startswith("refs/qualgate/sessions/") for r in refs)
    assert git(project, "status", "--porcelain", "--untracked-files=no") == ""


def test_dirty_session_base_is_a_snapshot_commit_not_touching_the_index(project: Path) -> None:
    (project / "src/demo/__init__.py").write_text("def compute() -> int:\n    return 1 + 2\n")
    git(project, "add", "src/demo/__init__.py")
    (project / "tests/test_demo.py").write_text("def test_x():\n    assert True is True\n")
    before = git(project, "status", "--porcelain", "--untracked-files=no")
    start("claude", "claude/session-start", project)
    assert git(project, "status", "--porcelain", "--untracked-files=no") == before
    snapshot = git(project, "rev-parse", "refs/qualgate/session").strip()
    assert snapshot != git(project, "rev-parse", "HEAD").strip()
    shown = git(project, "show", f"{snapshot}:tests/test_demo.py")
    assert "test_x" in shown


def test_fingerprints_tell_progress_from_circles() -> None:
    from qualgate.verdict import Finding, Severity, Status, Verdict

    def verdict(*rules: str) -> Verdict:
        return Verdict(
            gate="all",
            status=Status.FAIL,
            summary="x",
            findings=tuple(
                Finding(rule=r, severity=Severity.ERROR, message="m", path="a.py", line=1)
                for r in rules
            ),
        )

    assert fingerprints(verdict("a", "b")) == fingerprints(verdict("b", "a"))
    assert fingerprints(verdict("a")) != fingerprints(verdict("a", "b"))


def test_a_subagent_is_judged_against_the_session_base_with_its_own_count(project: Path) -> None:
    add_skip(project)  # before the session: not the subagent's doing
    start("claude", "claude/session-start", project)
    assert hook("claude", payload("claude/subagent-stop", project), *FAST).stdout == ""
    add_skip(project, "test_compute")
    reply = hook("claude", payload("claude/subagent-stop", project), *FAST).reply
    assert reply is not None and "block 1 of 3" in reply["reason"]
    main = hook("claude", payload("claude/stop", project), *FAST).reply
    assert main is not None and "block 1 of 3" in main["reason"]


def test_a_crash_blocks_a_stop_once_then_lets_go(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualgate.agents import hook as core

    def boom(*_: object) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(core, "handle", boom)
    first = hook("claude", payload("claude/stop", project)).reply
    assert first is not None and first["decision"] == "block"
    assert "internal error: RuntimeError: disk on fire" in first["reason"]
    second = hook("claude", payload("claude/stop-continuing", project)).reply
    assert second is not None and "disk on fire" in second["systemMessage"]


def test_a_tampered_state_file_is_not_trusted(project: Path) -> None:
    start("claude", "claude/session-start", project)
    state_file = next((project / ".qualgate/agents").glob("*.json"))
    state = json.loads(state_file.read_text())
    state.update(streak="many", last={"x": 1}, base="HEAD~0; rm -rf /", error_blocked="yes")
    state_file.write_text(json.dumps(state))
    add_skip(project)
    reply = hook("claude", payload("claude/stop", project), *FAST).reply
    assert reply is not None and "block 1 of 3" in reply["reason"]
