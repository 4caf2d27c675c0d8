"""Each agent adapter against its recorded payloads, and the JSON it answers with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualgate.agents import claude, codex, copilot, cursor
from qualgate.agents.events import Answer, Kind
from tests.agents.helpers import payload

PROJECT = Path("/work/project")

# What Codex accepts on stdout from a Stop / PostToolUse / SessionStart hook (it refuses
# unknown keys: `deny_unknown_fields` in codex-rs/hooks/src/schema.rs).
CODEX_STOP_KEYS = {
    "continue",
    "stopReason",
    "suppressOutput",
    "systemMessage",
    "decision",
    "reason",
}
CODEX_START_KEYS = {
    "continue",
    "stopReason",
    "suppressOutput",
    "systemMessage",
    "hookSpecificOutput",
}


def parsed(module: object, name: str, **changes: object) -> object:
    return module.parse(json.loads(payload(name, PROJECT, **changes)))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "kind", "continuation"),
    [
        ("claude/session-start", Kind.SESSION_START, None),
        ("claude/stop", Kind.STOP, False),
        ("claude/stop-continuing", Kind.STOP, True),
        ("claude/subagent-stop", Kind.SUBAGENT_STOP, False),
        ("claude/post-tool-use", Kind.POST_TOOL, None),
    ],
)
def test_claude_payloads(name: str, kind: Kind, continuation: bool | None) -> None:
    event = claude.parse(json.loads(payload(name, PROJECT)))
    assert event.kind is kind
    assert event.cwd == PROJECT
    assert event.session_id == "8a1c3d52-5d0e-4c3b-9f1e-2b7c4e6a9d10"
    assert event.continuation is continuation
    assert not event.aborted


def test_claude_subagent_and_tool_fields() -> None:
    assert claude.parse(json.loads(payload("claude/subagent-stop", PROJECT))).agent_id == "a91f3c"
    assert claude.parse(json.loads(payload("claude/post-tool-use", PROJECT))).tool == "Edit"


def test_claude_falls_back_to_the_project_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", "/elsewhere/project")
    data = json.loads(payload("claude/stop", PROJECT))
    del data["cwd"]
    assert claude.parse(data).cwd == Path("/elsewhere/project")


def test_claude_replies() -> None:
    stop = claude.parse(json.loads(payload("claude/stop", PROJECT)))
    start = claude.parse(json.loads(payload("claude/session-start", PROJECT)))
    assert claude.reply(stop, Answer(block=True, reason="fix it")) == {
        "decision": "block",
        "reason": "fix it",
    }
    assert claude.reply(stop, Answer(warning="letting go")) == {"systemMessage": "letting go"}
    assert claude.reply(stop, Answer()) is None
    assert claude.reply(start, Answer(context="base abc")) == {
        "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "base abc"}
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("codex/session-start", Kind.SESSION_START),
        ("codex/stop", Kind.STOP),
        ("codex/post-tool-use", Kind.POST_TOOL),
    ],
)
def test_codex_payloads(name: str, kind: Kind) -> None:
    event = codex.parse(json.loads(payload(name, PROJECT)))
    assert event.kind is kind
    assert event.cwd == PROJECT
    assert event.session_id == "0199a213-81c0-7800-8aa1-bbab2a035a53"


def test_codex_replies_only_with_keys_codex_accepts() -> None:
    stop = codex.parse(json.loads(payload("codex/stop", PROJECT)))
    tool = codex.parse(json.loads(payload("codex/post-tool-use", PROJECT)))
    start = codex.parse(json.loads(payload("codex/session-start", PROJECT)))
    for event in (stop, tool):
        for answer in (Answer(block=True, reason="r"), Answer(warning="w")):
            reply = codex.reply(event, answer)
            assert reply is not None and set(reply) <= CODEX_STOP_KEYS
    assert codex.reply(stop, Answer(block=True, reason="r")) == {"decision": "block", "reason": "r"}
    reply = codex.reply(start, Answer(context="c"))
    assert reply is not None and set(reply) <= CODEX_START_KEYS
    assert reply["hookSpecificOutput"] == {
        "hookEventName": "SessionStart",
        "additionalContext": "c",
    }


@pytest.mark.parametrize(
    ("name", "kind", "continuation", "aborted"),
    [
        ("cursor/session-start", Kind.SESSION_START, None, False),
        ("cursor/stop", Kind.STOP, False, False),
        ("cursor/stop-followup", Kind.STOP, True, False),
        ("cursor/stop-aborted", Kind.STOP, False, True),
    ],
)
def test_cursor_payloads(name: str, kind: Kind, continuation: bool | None, aborted: bool) -> None:
    event = cursor.parse(json.loads(payload(name, PROJECT)))
    assert event.kind is kind
    assert event.cwd == PROJECT  # from workspace_roots
    assert event.session_id == "cdefee2d-2727-4b73-bf77-d9d830f31d2a"
    assert event.continuation is continuation
    assert event.aborted is aborted


def test_cursor_error_status_is_not_a_completed_turn() -> None:
    assert cursor.parse(json.loads(payload("cursor/stop", PROJECT, status="error"))).aborted


def test_cursor_replies_with_a_followup_message() -> None:
    stop = cursor.parse(json.loads(payload("cursor/stop", PROJECT)))
    assert cursor.reply(stop, Answer(block=True, reason="fix it")) == {"followup_message": "fix it"}
    assert cursor.reply(stop, Answer(warning="w")) is None  # no field for it: stderr only


@pytest.mark.parametrize(
    ("name", "kind", "continuation"),
    [
        ("copilot/session-start", Kind.SESSION_START, None),
        ("copilot/agent-stop", Kind.STOP, False),
        ("copilot/agent-stop-vscode", Kind.STOP, True),
        ("copilot/post-tool-use", Kind.POST_TOOL, None),
    ],
)
def test_copilot_payloads_in_both_dialects(
    name: str, kind: Kind, continuation: bool | None
) -> None:
    event = copilot.parse(json.loads(payload(name, PROJECT)))
    assert event.kind is kind  # camelCase payloads carry no event name: inferred
    assert event.session_id == "01HW2X3Y4Z5A6B7C8D9E0F1G2H"
    assert event.continuation is continuation
    assert event.cwd == PROJECT


def test_copilot_event_named_on_the_command_line_wins() -> None:
    data = json.loads(payload("copilot/agent-stop", PROJECT))
    data["hook_event_name"] = "subagentStop"
    assert copilot.parse(data).kind is Kind.SUBAGENT_STOP


def test_copilot_replies() -> None:
    stop = copilot.parse(json.loads(payload("copilot/agent-stop", PROJECT)))
    tool = copilot.parse(json.loads(payload("copilot/post-tool-use", PROJECT)))
    start = copilot.parse(json.loads(payload("copilot/session-start", PROJECT)))
    assert copilot.reply(stop, Answer(block=True, reason="r")) == {
        "decision": "block",
        "reason": "r",
    }
    assert copilot.reply(tool, Answer(block=True, reason="r")) == {"additionalContext": "r"}
    assert copilot.reply(start, Answer(context="c")) == {"additionalContext": "c"}
    assert copilot.reply(stop, Answer(warning="w")) is None


@pytest.mark.parametrize("module", [claude, codex, cursor, copilot])
def test_unknown_events_are_left_alone(module: object) -> None:
    event = module.parse({"hook_event_name": "Notification", "cwd": "/x"})  # type: ignore[attr-defined]
    assert event.kind is Kind.OTHER
    assert module.reply(event, Answer(block=True, reason="r")) is None  # type: ignore[attr-defined]
