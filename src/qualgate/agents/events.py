"""What every agent adapter turns its hook payload into, and what the core answers.

Adapters (one module per agent: claude, codex, cursor, copilot) only translate: the
agent's payload into a `HookEvent`, and an `Answer` into the agent's own JSON. The core
decides (see `qualgate.agents.hook`). The helpers below are what adapters share: reading
payload fields, and the reply of the hook protocol Claude Code defined and Codex follows.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class Kind(enum.Enum):
    SESSION_START = "session-start"
    STOP = "stop"
    SUBAGENT_STOP = "subagent-stop"
    POST_TOOL = "post-tool"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True, slots=True)
class HookEvent:
    """One hook call, in the agent's own terms translated to ours."""

    agent: str
    kind: Kind
    # The event name as the agent sent it (Stop, agentStop, stop...).
    name: str
    cwd: Path | None = None
    session_id: str | None = None
    # A subagent's own id, when the event is about one.
    agent_id: str | None = None
    # The agent is already continuing because a stop hook blocked (stop_hook_active,
    # Cursor's loop_count > 0); None when the agent does not say.
    continuation: bool | None = None
    # The turn ended without completing (Cursor status aborted or error): never gated.
    aborted: bool = False
    tool: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """The core's answer: block with a reason, or let go (with a warning), or add context."""

    block: bool = False
    reason: str | None = None
    warning: str | None = None
    context: str | None = None


class Adapter(Protocol):
    """The shape of an adapter module."""

    NAME: str

    def parse(self, payload: Mapping[str, Any]) -> HookEvent: ...

    def reply(self, event: HookEvent, answer: Answer) -> dict[str, Any] | None: ...


def text(payload: Mapping[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` holding a non-empty string."""
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def flag(payload: Mapping[str, Any], *keys: str) -> bool | None:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, bool):
            return value
    return None


def path(payload: Mapping[str, Any], *keys: str) -> Path | None:
    value = text(payload, *keys)
    return Path(value) if value else None


def decision_reply(event: HookEvent, answer: Answer) -> dict[str, Any] | None:
    """The answer in Claude Code's hook protocol, which Codex follows with the same keys.

    Blocking a stop or a tool use is ``{"decision": "block", "reason": ...}``; session-start
    context is ``hookSpecificOutput.additionalContext``; a warning is ``systemMessage``.
    Codex refuses unknown keys, so nothing else goes in.
    """
    if answer.block and event.kind in (Kind.STOP, Kind.SUBAGENT_STOP, Kind.POST_TOOL):
        return {"decision": "block", "reason": answer.reason or "qualgate blocked this turn"}
    if answer.context and event.kind is Kind.SESSION_START:
        return {
            "hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": answer.context,
            }
        }
    if answer.warning:
        return {"systemMessage": answer.warning}
    return None
