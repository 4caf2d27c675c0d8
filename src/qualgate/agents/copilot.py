"""GitHub Copilot hooks (``.github/hooks/*.json``, CLI and cloud agent): ``sessionStart``,
``agentStop``, ``subagentStop``, ``postToolUse``.

Two payload dialects: camelCase events (``sessionId``, ``cwd``, ``stopReason``, no event
name in the payload: ``--event`` on the command line says which, else it is inferred) and
the VS Code compatible PascalCase ones (``hook_event_name``, ``session_id``). Both carry
``stop_hook_active``. Blocking is exit 0 with ``{"decision": "block", "reason": ...}``
(exit 2 is only a warning here); Copilot ends the turn itself after 8 blocks in a row.
After a tool use, feedback is ``additionalContext``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qualgate.agents.events import Answer, HookEvent, Kind, flag, path, text

NAME = "copilot"
_KINDS = {
    "sessionStart": Kind.SESSION_START,
    "SessionStart": Kind.SESSION_START,
    "agentStop": Kind.STOP,
    "Stop": Kind.STOP,
    "subagentStop": Kind.SUBAGENT_STOP,
    "SubagentStop": Kind.SUBAGENT_STOP,
    "postToolUse": Kind.POST_TOOL,
    "PostToolUse": Kind.POST_TOOL,
}


def _infer(payload: Mapping[str, Any]) -> str:
    if "stopReason" in payload or "stop_reason" in payload:
        return "subagentStop" if "agentName" in payload or "agentId" in payload else "agentStop"
    if "toolResult" in payload:
        return "postToolUse"
    if "source" in payload:
        return "sessionStart"
    return ""


def parse(payload: Mapping[str, Any]) -> HookEvent:
    name = text(payload, "hook_event_name", "hookEventName") or _infer(payload)
    return HookEvent(
        agent=NAME,
        kind=_KINDS.get(name, Kind.OTHER),
        name=name,
        cwd=path(payload, "cwd"),
        session_id=text(payload, "sessionId", "session_id"),
        agent_id=text(payload, "agentId", "agent_id"),
        continuation=flag(payload, "stop_hook_active", "stopHookActive"),
        tool=text(payload, "toolName", "tool_name"),
    )


def reply(event: HookEvent, answer: Answer) -> dict[str, Any] | None:
    if answer.block and event.kind in (Kind.STOP, Kind.SUBAGENT_STOP):
        return {"decision": "block", "reason": answer.reason or "qualgate blocked this turn"}
    if answer.block and event.kind is Kind.POST_TOOL:
        return {"additionalContext": answer.reason}
    if answer.context and event.kind is Kind.SESSION_START:
        return {"additionalContext": answer.context}
    return None
