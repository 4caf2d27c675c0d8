"""The wiring guard: the commands that prove "done" still run the gates.

A gate wrapper (``tools/ci/lint-format.sh``...) or the qualgate CI workflow that existed at
the base and was edited or deleted, and an agent hook file that lost its qualgate hook or
now disables all hooks, are findings: the check that blocks a turn would no longer run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from qualgate.gates.integrity.change import Change
from qualgate.gates.integrity.pyguards import matches
from qualgate.gates.integrity.rules import RULES
from qualgate.verdict import Finding

# Where each agent keeps its hooks (Copilot also reads Claude Code's settings).
HOOK_FILES = (
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".codex/hooks.json",
    ".cursor/hooks.json",
    ".github/hooks/*.json",
    ".github/copilot/settings.json",
    ".github/copilot/settings.local.json",
)
HOOK_MARKERS = ("qualgate hook", "agent-hook.sh")


def _hooks_in(text: str | None) -> int:
    if not text:
        return 0
    return sum(text.count(marker) for marker in HOOK_MARKERS)


def _disables_all(text: str | None) -> bool:
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("disableAllHooks") is True


def wiring_guards(change: Change, wrappers: Sequence[str]) -> list[Finding]:
    findings: list[Finding] = []
    for f in change.files:
        if f.old is not None and matches(f.old, wrappers):
            what = "deleted" if f.new is None else ("renamed" if f.new != f.old else "edited")
            findings.append(
                RULES.finding(
                    "wrapper-edited",
                    f"{f.old} was {what}; it is what agents and CI run to prove done",
                    path=f.new or f.old,
                    check="wiring",
                )
            )
            continue
        if not matches(f.path, HOOK_FILES):
            continue
        before = change.old_text(f.old)
        after = change.new_text(f.new)
        if _hooks_in(after) < _hooks_in(before):
            findings.append(
                RULES.finding(
                    "hook-removed",
                    f"{f.path} lost its qualgate hook: the agent's turns are no longer gated",
                    path=f.path,
                    check="wiring",
                )
            )
        elif _disables_all(after) and not _disables_all(before):
            findings.append(
                RULES.finding(
                    "hook-removed",
                    f"{f.path} now sets disableAllHooks: the agent's turns are no longer gated",
                    path=f.path,
                    check="wiring",
                )
            )
    return findings
