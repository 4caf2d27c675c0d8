"""Cursor hooks (``.cursor/hooks.json``, version 1): ``sessionStart`` and ``stop``.

Payload fields used: ``hook_event_name``, ``conversation_id`` (the session),
``workspace_roots`` (else ``cwd``), ``status`` and ``loop_count``. A stop whose ``status``
is not ``completed`` (aborted, error) is never gated. Cursor continues a turn when the
stop hook answers ``{"followup_message": ...}``, sent as the next user message; it has no
field for a warning, so warnings go to stderr only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qualgate.agents.events import Answer, HookEvent, Kind, path, text

NAME = "cursor"
_KINDS = {
    "sessionStart": Kind.SESSION_START,
    "stop": Kind.STOP,
    "subagentStop": Kind.SUBAGENT_STOP,
}


def _root(payload: Mapping[str, Any]) -> Path | None:
    roots = payload.get("workspace_roots")
    if isinstance(roots, list) and roots and isinstance(roots[0], str) and roots[0]:
        return Path(roots[0])
    return path(payload, "cwd")


def parse(payload: Mapping[str, Any]) -> HookEvent:
    name = text(payload, "hook_event_name") or ""
    status = payload.get("status")
    loops = payload.get("loop_count")
    continuation = loops > 0 if isinstance(loops, int) and not isinstance(loops, bool) else None
    return HookEvent(
        agent=NAME,
        kind=_KINDS.get(name, Kind.OTHER),
        name=name,
        cwd=_root(payload),
        session_id=text(payload, "conversation_id", "session_id"),
        continuation=continuation,
        aborted=status is not None and status != "completed",
    )


def reply(event: HookEvent, answer: Answer) -> dict[str, Any] | None:
    if answer.block and event.kind in (Kind.STOP, Kind.SUBAGENT_STOP):
        return {"followup_message": answer.reason or "qualgate blocked this turn"}
    return None
