"""The reply Claude Code and Codex share (``events.decision_reply``), for every event kind."""

from __future__ import annotations

import pytest

from qualgate.agents import claude, codex
from qualgate.agents.events import Answer, HookEvent, Kind, decision_reply

ADAPTERS = [claude, codex]


def event(kind: Kind) -> HookEvent:
    return HookEvent(agent="claude", kind=kind, name=kind.value)


@pytest.mark.parametrize("module", ADAPTERS)
def test_both_adapters_answer_with_the_shared_reply(module: object) -> None:
    assert module.reply is decision_reply  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", [Kind.STOP, Kind.SUBAGENT_STOP, Kind.POST_TOOL])
def test_a_block_is_a_decision_with_a_reason(kind: Kind) -> None:
    assert decision_reply(event(kind), Answer(block=True, reason="fix it")) == {
        "decision": "block",
        "reason": "fix it",
    }
    assert decision_reply(event(kind), Answer(block=True)) == {
        "decision": "block",
        "reason": "qualgate blocked this turn",
    }


def test_a_session_start_is_never_blocked_and_carries_context() -> None:
    start = event(Kind.SESSION_START)
    assert decision_reply(start, Answer(block=True, reason="r")) is None
    assert decision_reply(start, Answer(block=True, reason="r", warning="w")) == {
        "systemMessage": "w"
    }
    assert decision_reply(start, Answer(context="c", warning="w")) == {
        "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "c"}
    }


@pytest.mark.parametrize("kind", [Kind.STOP, Kind.POST_TOOL, Kind.OTHER])
def test_context_goes_only_to_a_session_start(kind: Kind) -> None:
    assert decision_reply(event(kind), Answer(context="c")) is None
    assert decision_reply(event(kind), Answer(context="c", warning="w")) == {"systemMessage": "w"}


def test_a_block_wins_over_a_warning() -> None:
    assert decision_reply(event(Kind.STOP), Answer(block=True, reason="r", warning="w")) == {
        "decision": "block",
        "reason": "r",
    }
