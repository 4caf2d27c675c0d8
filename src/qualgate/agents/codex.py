"""Codex hooks (``.codex/hooks.json``): SessionStart, Stop, SubagentStop, PostToolUse.

Payload fields used: ``hook_event_name``, ``session_id``, ``cwd``, ``stop_hook_active``,
``agent_id``, ``tool_name``. Codex parses stdout strictly (unknown keys are an invalid hook
output) and drops the stderr of an exit-2 PostToolUse hook, so the answer is exit 0 with
only ``decision``/``reason``, ``systemMessage`` or ``hookSpecificOutput``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qualgate.agents.events import HookEvent, Kind, decision_reply, flag, path, text

NAME = "codex"
_KINDS = {
    "SessionStart": Kind.SESSION_START,
    "Stop": Kind.STOP,
    "SubagentStop": Kind.SUBAGENT_STOP,
    "PostToolUse": Kind.POST_TOOL,
}


def parse(payload: Mapping[str, Any]) -> HookEvent:
    name = text(payload, "hook_event_name") or ""
    return HookEvent(
        agent=NAME,
        kind=_KINDS.get(name, Kind.OTHER),
        name=name,
        cwd=path(payload, "cwd"),
        session_id=text(payload, "session_id"),
        agent_id=text(payload, "agent_id"),
        continuation=flag(payload, "stop_hook_active"),
        tool=text(payload, "tool_name"),
    )


# The reply is the shared Claude Code protocol's (see events.decision_reply).
reply = decision_reply
