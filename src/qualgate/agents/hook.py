"""The hook core: one agent hook call in, the agent's own answer out.

A session start records the session's base. A stop runs the stop profile (the gates
whose inputs changed since the base) through the run pipeline, as ``qualgate all``, and
blocks the turn while it fails, with the compact rendering as the reason. Guards so an
agent is never trapped: an aborted turn is never gated; an ``error`` verdict (qualgate
could not check) blocks once with its hint, then lets the turn end with a warning; and
``max-blocks`` blocks in a row on the same findings stop blocking and say so. After a tool
use, the integrity gate tells the agent once about what it just weakened.

Whatever happens, the process exits 0: a hook's exit code means different things to each
agent (exit 1 is ignored by Claude Code, exit 2 only warns in Copilot), the JSON does not.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from qualgate import pipeline
from qualgate.agents import session
from qualgate.agents.events import Adapter, Answer, HookEvent, Kind
from qualgate.agents.profile import Settings, gates_for, load_settings
from qualgate.config import Source
from qualgate.errors import GateError
from qualgate.render.agent import MAX_CHARS, line_of, render
from qualgate.verdict import Finding, Status, Verdict

AGENTS = ("claude", "codex", "cursor", "copilot")
# Hook payloads carry the last assistant message and tool output: large, but bounded.
MAX_PAYLOAD = 16 * 1024 * 1024


@dataclass(frozen=True, kw_only=True, slots=True)
class Result:
    """What the hook prints: ``stdout`` (the agent's JSON, or nothing) and ``stderr``."""

    stdout: str = ""
    stderr: str = ""


def adapter(agent: str) -> Adapter:
    if agent not in AGENTS:
        raise KeyError(agent)
    return cast(Adapter, importlib.import_module(f"qualgate.agents.{agent}"))


def find_root(start: Path) -> Path:
    """The project root for a hook call: the nearest folder with ``pyproject.toml`` or
    ``qualgate.toml`` from ``start`` up to the repository's top, else the top, else start."""
    start = start.resolve()
    top: Path | None = None
    for folder in (start, *start.parents):
        if (folder / "qualgate.toml").is_file() or (folder / "pyproject.toml").is_file():
            return folder
        if (folder / ".git").exists():
            top = folder
            break
    return top or start


def run_hook(
    agent: str,
    stdin_text: str,
    *,
    given: Mapping[str, tuple[Any, str]] | None = None,
    root: Path | None = None,
    event_name: str | None = None,
) -> Result:
    """Handle one hook call of ``agent`` whose payload is ``stdin_text``."""
    try:
        payload = json.loads(stdin_text) if stdin_text.strip() else {}
    except ValueError as exc:
        return Result(stderr=f"qualgate hook {agent}: the hook payload is not JSON ({exc})\n")
    if not isinstance(payload, dict):
        return Result(stderr=f"qualgate hook {agent}: the hook payload is not a JSON object\n")
    if event_name:
        payload = {**payload, "hook_event_name": event_name}
    plugin = adapter(agent)
    event = plugin.parse(payload)
    project = root or find_root(event.cwd or Path.cwd())
    try:
        answer = handle(event, project, given or {})
    except Exception as exc:  # noqa: BLE001 - a crash must not read as "checked and fine"
        answer = _crashed(event, exc)
    reply = plugin.reply(event, answer)
    err = ""
    if answer.block and answer.reason:
        err += answer.reason.rstrip("\n") + "\n"
    if answer.warning:
        err += f"qualgate: {answer.warning}\n"
    out = json.dumps(reply, ensure_ascii=False) + "\n" if reply is not None else ""
    return Result(stdout=out, stderr=err)


def _crashed(event: HookEvent, exc: Exception) -> Answer:
    """qualgate itself failed: block a stop once (the turn was not checked), never twice."""
    what = f"qualgate could not check this turn: internal error: {type(exc).__name__}: {exc}"
    if event.kind not in (Kind.STOP, Kind.SUBAGENT_STOP) or event.aborted or event.continuation:
        return Answer(warning=line_of(what, 500))
    return Answer(
        block=True,
        reason=line_of(what, 1000)
        + "\nRun `qualgate all --format agent` to check the work yourself; if the hook fails "
        "again, stopping again ends the turn.",
    )


def handle(event: HookEvent, root: Path, given: Mapping[str, tuple[Any, str]]) -> Answer:
    """The decision for one event (the agent-neutral part of every hook)."""
    key = main_key = session.key_of(event.session_id)
    if event.kind is Kind.SUBAGENT_STOP and event.agent_id:
        # A subagent has its own blocks in a row, and the session's base.
        key = session.key_of(f"{event.session_id}/{event.agent_id}")
    state = session.State.load(root, key)
    if state.base is None and key != main_key:
        main = session.State.load(root, main_key)
        state.base, state.base_kind = main.base, main.base_kind
    if event.kind is Kind.SESSION_START:
        return _start(root, key, state)
    if event.kind not in (Kind.STOP, Kind.SUBAGENT_STOP, Kind.POST_TOOL):
        return Answer()
    if event.kind is not Kind.POST_TOOL and event.aborted:
        return Answer()  # the user stopped the turn, or it failed: nothing to prove
    problem: GateError | None = None
    try:
        settings = load_settings(root, given)
    except GateError as exc:
        settings, problem = Settings(), exc
    if state.base is None:
        state.base = session.head(root)
        state.base_kind = "head"
    if event.kind is Kind.POST_TOOL:
        answer = _after_tool(root, state, settings) if settings.post_tool else Answer()
    else:
        if event.continuation is False:
            state.streak, state.error_blocked = 0, False  # a new turn
        verdict = _stop_verdict(root, state, settings, problem)
        answer = decide(verdict, state, settings.max_blocks)
    state.save(root, key)
    return answer


def _start(root: Path, key: str, state: session.State) -> Answer:
    if state.base is None or state.base_kind != "snapshot":
        base = session.snapshot(root)
        if base is None:
            return Answer(warning="not a git repository: this session has no base to judge by")
        state.base, state.base_kind = base, "snapshot"
        session.keep(root, key, base)
        _remember_tests(root, base)
    state.streak, state.error_blocked = 0, False
    state.save(root, key)
    return Answer(
        context=(
            f"qualgate judges this session's work against {state.base[:12]} (the tree when the "
            "session started). Before saying done, run `qualgate all --format agent --base "
            f"{state.base[:12]}` (or tools/ci/all.sh); the stop hook runs the gates your "
            "changes touch and blocks until they pass. Do not skip tests or add noqa, type: "
            "ignore or no-cover comments: the integrity gate fails on them."
        )
    )


def _remember_tests(root: Path, base: str) -> None:
    head = session.head(root)
    if head is None:
        return
    from qualgate.gates.integrity.api import remember_tests

    remember_tests(
        root, base, head, root / pipeline.VERDICT_DIR, session.files_differing_from_head(root)
    )


def _stop_verdict(
    root: Path, state: session.State, settings: Settings, problem: GateError | None
) -> Verdict:
    if problem is not None:
        return pipeline.error_verdict("all", f"hook configuration: {problem.reason}", problem.hint)
    try:
        changed = session.changed_since(root, state.base) if state.base else None
    except GateError as exc:
        return pipeline.error_verdict("all", exc.reason, exc.hint)
    if changed is None and not settings.gates:
        from qualgate.composite import ORDER

        gates = [*ORDER, "integrity"]
    else:
        gates = gates_for(root, changed or [], settings)
    if not gates:
        return Verdict(gate="all", status=Status.PASS, summary="nothing changed since the base")
    return run_gates(root, gates, state.base, settings.timeout)


def run_gates(root: Path, gates: list[str], base: str | None, timeout: float) -> Verdict:
    """The gates through the run pipeline (one gate alone, several as ``qualgate all
    --gates ...``); the verdict file is written like any run's."""
    one = len(gates) == 1
    words = ["qualgate", gates[0] if one else "all", _shown(root)]
    given: dict[str, tuple[Any, str]] = {"timeout": (timeout, Source.COMMAND_LINE)}
    if not one:
        given["gates"] = (tuple(gates), Source.COMMAND_LINE)
        for gate in gates:
            words += ["--gates", gate]
    if base:
        words += ["--base", base[:12]]
    request = pipeline.Request(
        gate=gates[0] if one else "all",
        root=root,
        shown_root=_shown(root),
        base=base[:12] if base else None,
        given=given,
        reproduce=shlex.join(words),
    )
    outcome = pipeline.execute(request)
    with contextlib.suppress(OSError):
        pipeline.write_verdict_file(outcome.verdict, outcome.verdict_dir, root)
    if outcome.signal_code is not None:
        raise KeyboardInterrupt
    return outcome.verdict


def _shown(root: Path) -> str:
    try:
        rel = os.path.relpath(root)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(root)
    return "." if rel == "." else (str(root) if rel.startswith("..") else rel)


def fingerprints(verdict: Verdict) -> list[str]:
    """What a failing verdict is about, to tell progress from going round in circles."""
    marks = [
        f.fingerprint or f"{f.rule}:{f.path}:{f.line}:{f.message}"
        for f in verdict.findings
        if f.blocking
    ]
    marks += [f"threshold:{t.name}" for t in verdict.thresholds if not t.ok]
    marks += [f"gate:{c.name}:{c.status.value}" for c in verdict.checks if c.status is Status.ERROR]
    if not marks and verdict.status is not Status.PASS:
        marks.append(f"verdict:{verdict.status.value}:{verdict.summary}")
    return sorted(set(marks))


def _failing(verdict: Verdict) -> bool:
    """Whether something the agent must fix failed (not only: a gate could not check)."""
    return (
        any(f.blocking for f in verdict.findings)
        or any(not t.ok for t in verdict.thresholds)
        or any(c.status is Status.FAIL for c in verdict.checks)
        or (verdict.status is Status.FAIL)
    )


def decide(verdict: Verdict, state: session.State, max_blocks: int) -> Answer:
    """Block or let go, with the loop guard and the error-once rule (updates ``state``)."""
    if verdict.status in (Status.PASS, Status.SKIPPED):
        state.streak, state.last, state.error_blocked = 0, [], False
        return Answer()
    marks = fingerprints(verdict)
    if _failing(verdict):
        state.streak = state.streak + 1 if marks == state.last else 1
        state.last = marks
        if state.streak > max_blocks:
            state.streak = 0
            return Answer(
                warning=f"blocked {max_blocks} times in a row on the same findings with no "
                f"progress; letting the turn end. Still failing: {line_of(verdict.summary, 300)} "
                f"(reproduce: {verdict.reproduce})"
            )
        lead = (
            f"qualgate: not done yet, the gates fail (block {state.streak} of {max_blocks} "
            "without progress). Fix these, then stop again:"
        )
        return Answer(block=True, reason=_reason(lead, verdict))
    # Only errors: qualgate could not check. Say it once, then never trap the agent.
    if state.error_blocked:
        state.error_blocked = False
        return Answer(
            warning="a gate could not check (see the reason given before); letting the turn "
            f"end. {line_of(verdict.summary, 300)}"
        )
    state.error_blocked = True
    state.last = marks
    lead = (
        "qualgate: a gate could not check this work. Fix the environment if you can (the hint "
        "below says how), then stop again; if you cannot, stopping again ends the turn:"
    )
    return Answer(block=True, reason=_reason(lead, verdict))


def _reason(lead: str, verdict: Verdict) -> str:
    return lead + "\n" + render(verdict, limit=MAX_CHARS - len(lead) - 1)


def _after_tool(root: Path, state: session.State, settings: Settings) -> Answer:
    verdict = run_gates(root, ["integrity"], state.base, min(settings.timeout, 120.0))
    if verdict.status is not Status.FAIL:
        return Answer()
    fresh = [f for f in verdict.findings if f.blocking and _mark(f) not in state.told]
    if not fresh:
        return Answer()
    state.told += [_mark(f) for f in fresh]
    only_new = dataclasses.replace(verdict, findings=tuple(fresh), checks=(), thresholds=())
    lead = "qualgate: this change makes the work look done without doing it; undo it:"
    return Answer(block=True, reason=_reason(lead, only_new))


def _mark(f: Finding) -> str:
    return f.fingerprint or f"{f.rule}:{f.path}:{f.line}"
