"""Claude Code hooks: SessionStart, Stop, SubagentStop, PostToolUse.

Payload fields used: ``hook_event_name``, ``session_id``, ``cwd`` (else
``$CLAUDE_PROJECT_DIR``), ``stop_hook_active``, ``agent_id``, ``tool_name``. Blocking is
exit 0 with ``{"decision": "block", "reason": ...}`` (exit 1 would be a non-blocking error
the model never sees); a warning is ``systemMessage``; SessionStart context is
``hookSpecificOutput.additionalContext``. Claude Code cuts hook output at 10,000 characters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qualgate.agents.events import HookEvent, Kind, decision_reply, flag, path, text

NAME = "claude"
_KINDS = {
    "SessionStart": Kind.SESSION_START,
    "Stop": Kind.STOP,
    "SubagentStop": Kind.SUBAGENT_STOP,
    "PostToolUse": Kind.POST_TOOL,
}


def parse(payload: Mapping[str, Any]) -> HookEvent:
    name = text(payload, "hook_event_name") or ""
    project_dir = os.environ.get("CLAUDE_PROJECT_DIR")
    return HookEvent(
        agent=NAME,
        kind=_KINDS.get(name, Kind.OTHER),
        name=name,
        cwd=path(payload, "cwd") or (Path(project_dir) if project_dir else None),
        session_id=text(payload, "session_id"),
        agent_id=text(payload, "agent_id"),
        continuation=flag(payload, "stop_hook_active"),
        tool=text(payload, "tool_name"),
    )


# The reply is the shared Claude Code protocol's (see events.decision_reply).
reply = decision_reply
