"""The text ``qualgate init`` writes: wrappers, the AGENTS.md block, the CI workflow, and the
hook entries of each agent."""

from __future__ import annotations

from typing import Any

AGENT_HOOK = "tools/ci/agent-hook.sh"
BLOCK_BEGIN = "<!-- qualgate:begin -->"
BLOCK_END = "<!-- qualgate:end -->"
# Seconds: the stop profile's own budget is 540 s by default; the agent waits a bit longer.
STOP_TIMEOUT = 600
START_TIMEOUT = 60
TOOL_TIMEOUT = 180


def wrapper(command: str, depth: int, *, hook: bool = False) -> str:
    """A POSIX shell wrapper: find the project root and qualgate, exec ``qualgate COMMAND``.

    The agent-hook wrapper exits 0 when qualgate is missing: a hook that fails would break
    the agent's turn for a reason the agent cannot fix.
    """
    up = "/".join([".."] * depth) or "."
    missing = "exit 0" if hook else "exit 2"
    return f"""#!/bin/sh
# qualgate {command}, run from the project root (written by `qualgate init`).
# Finds qualgate: $QUALGATE, then qualgate on PATH (pipx, uv tool), then the project's
# .venv, then python3 -m qualgate. No logic lives here: qualgate does the work.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/{up}" && pwd)
cd "$root"
if [ -n "${{QUALGATE:-}}" ]; then exec "$QUALGATE" {command} "$@"; fi
if command -v qualgate >/dev/null 2>&1; then exec qualgate {command} "$@"; fi
if [ -x .venv/bin/qualgate ]; then exec .venv/bin/qualgate {command} "$@"; fi
if python3 -c 'import qualgate' >/dev/null 2>&1; then exec python3 -m qualgate {command} "$@"; fi
echo "qualgate is not installed: pipx install qualgate (or uv tool install qualgate)" >&2
{missing}
"""


def agents_block(gates: list[str]) -> str:
    listed = ", ".join(f"`{g}`" for g in gates)
    return f"""{BLOCK_BEGIN}
## Proving "done" (qualgate)

Work is done when `tools/ci/all.sh --format agent` exits 0 (it runs {listed}).
Run it before saying done, and fix what it reports; `--format agent` prints only what
blocks, as `path:line rule message`, then the fix commands. A stop hook runs the gates your
changes touch and blocks the turn while they fail.

Do not make work look done: skipping or deleting tests, emptying assertions, adding
`# noqa`, `# type: ignore` or `# pragma: no cover`, lowering thresholds or editing
`tools/` wrappers all fail the `integrity` gate. If such a change is right, say why in
`[tool.qualgate.integrity] allow` and let a person review it.
{BLOCK_END}
"""


def workflow(project: str, install: str | None) -> str:
    where = f"\n        working-directory: {project}" if project not in ("", ".") else ""
    deps = f"\n      - run: {install}{where}" if install else ""
    return f"""# Written by `qualgate init`: every configured gate on each push and pull request.
name: qualgate
on:
  push:
    branches: [main]
  pull_request:
jobs:
  gates:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pipx install qualgate{deps}
      - name: qualgate all{where}
        env:
          BASE_REF: ${{{{ github.base_ref }}}}
        run: |
          if [ -n "$BASE_REF" ]; then set -- --base "origin/$BASE_REF"; fi
          tools/ci/all.sh --format github "$@"
"""


def claude_hooks(command: str) -> list[tuple[str, dict[str, Any]]]:
    """(event, matcher group) entries for ``.claude/settings.json``."""

    def entry(timeout: int, matcher: str | None = None) -> dict[str, Any]:
        group: dict[str, Any] = {
            "hooks": [{"type": "command", "command": command, "timeout": timeout}]
        }
        if matcher:
            group = {"matcher": matcher, **group}
        return group

    return [
        ("SessionStart", entry(START_TIMEOUT)),
        ("Stop", entry(STOP_TIMEOUT)),
        ("PostToolUse", entry(TOOL_TIMEOUT, "Write|Edit|MultiEdit|NotebookEdit|Bash")),
    ]


def codex_hooks(command: str) -> list[tuple[str, dict[str, Any]]]:
    def entry(timeout: int) -> dict[str, Any]:
        return {"hooks": [{"type": "command", "command": command, "timeout": timeout}]}

    return [
        ("SessionStart", entry(START_TIMEOUT)),
        ("Stop", entry(STOP_TIMEOUT)),
        ("PostToolUse", entry(TOOL_TIMEOUT)),
    ]


def cursor_hooks(command: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("sessionStart", {"command": command, "timeout": START_TIMEOUT}),
        ("stop", {"command": command, "timeout": STOP_TIMEOUT}),
    ]


def copilot_hooks(command: str, cwd: str) -> list[tuple[str, dict[str, Any]]]:
    def entry(event: str, timeout: int) -> dict[str, Any]:
        return {
            "type": "command",
            "bash": f"{command} --event {event}",
            "cwd": cwd or ".",
            "timeoutSec": timeout,
        }

    return [
        ("sessionStart", entry("sessionStart", START_TIMEOUT)),
        ("agentStop", entry("agentStop", STOP_TIMEOUT)),
        ("postToolUse", entry("postToolUse", TOOL_TIMEOUT)),
    ]
