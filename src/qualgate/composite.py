"""``qualgate all``: every configured gate through the run pipeline, combined into one verdict.

Each gate runs with its own configuration (its ``[tool.qualgate.<gate>]`` table and its
``QUALGATE_<GATE>_*`` variables) inside the same pipeline as when it runs alone, and
writes its own verdict file, so a later tool can read either the combined verdict or any
single gate's. What runs, in order:

1. with ``--base``, gates none of whose declared inputs changed since that ref are not
   run (the verdict lists them as not affected);
2. gates that change the project's files (``lint-format --fix``) run alone, first;
3. every other gate whose answer is in the result cache answers from there;
4. the rest run in parallel worker processes (`qualgate.workers`), at most ``--jobs`` at a
   time and one database gate at a time; with ``--fail-fast`` one after another.

The combined verdict does not depend on the order gates finished in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shlex
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualgate import pipeline
from qualgate.cache.affected import changed_paths, touched
from qualgate.cache.inputs import Inputs, declared
from qualgate.cache.lookup import Session
from qualgate.config import env_given
from qualgate.context import GateContext
from qualgate.envelope import project_info
from qualgate.gates import GATES
from qualgate.interrupts import Terminated
from qualgate.options import Kind, Option
from qualgate.verdict import Check, Finding, Status, Threshold, Verdict, derive_status, plural

DEFAULT_TIMEOUT = 3600.0
ORDER = (
    "lint-format",
    "run-tests",
    "openapi-lint",
    "migration-check",
    "seed",
    "dependency-scan",
    "artifact-validate",
    "integrity",
)
# `all` itself is never answered from the cache: each gate asks its own.
INPUTS = Inputs(skip="each gate is answered from its own cache")


def _validate_gates(names: tuple[str, ...]) -> tuple[str, ...]:
    known = [g for g in GATES if g != "all"]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"expects gate names from {', '.join(known)}; unknown: {unknown}")
    if not names:
        raise ValueError("expects at least one gate name")
    return names


OPTIONS = (
    Option(
        name="gates",
        kind=Kind.LIST,
        default=ORDER,
        validate=_validate_gates,
        expects="a list of gate names",
        help="Which gates to run, in this order (default: all of them).",
    ),
    Option(
        name="fail-fast",
        kind=Kind.BOOL,
        default=False,
        help="Stop after the first gate that fails or errors (gates then run one at a time).",
    ),
    Option(
        name="jobs",
        kind=Kind.INT,
        min=0,
        default=0,
        metavar="N",
        help="Gates run at once (0: one per core, at least 2; 1: one after another). "
        "Database gates always run one at a time.",
    ),
)


def _request(ctx: GateContext, gate: str) -> pipeline.Request:
    given: dict[str, tuple[object, str]] = {}
    with contextlib.suppress(ImportError):  # a gate that cannot load: running it says so
        given.update(env_given(gate, pipeline.gate_specs(gate)[1]))
    if not ctx.option("cache"):
        given["cache"] = (False, "command line")
    return pipeline.Request(
        gate=gate,
        root=ctx.root,
        config_file=ctx.config_file,
        given=given,
        base=ctx.base,
        debug=ctx.debug,
        budget=ctx.remaining(),
    )


def _inputs(request: pipeline.Request) -> Inputs | None:
    """A gate's declared inputs under its own options (None when they cannot be had: its
    configuration is wrong, which running it reports)."""
    try:
        prepared = pipeline.context_for(request, time.monotonic())
        return declared(request.gate, pipeline.gate_specs(request.gate)[0], prepared.ctx)
    except Exception:  # noqa: BLE001 - running the gate reports what is wrong
        return None


def _published(outcome: pipeline.Outcome, root: Path) -> Verdict:
    """A gate's verdict as ``all`` shows it, its file written (or attempted)."""
    if outcome.signal_code == 143:
        raise Terminated
    if outcome.interrupted:
        raise KeyboardInterrupt
    verdict = outcome.verdict
    verdict = verdict.replace(
        reproduce=shlex.join(["qualgate", verdict.gate, verdict.project.root])
    )
    # The combined verdict carries everything even when a gate's own file cannot be written.
    with contextlib.suppress(OSError):
        pipeline.write_verdict_file(verdict, outcome.verdict_dir, root)
    return verdict


def _not_affected(gate: str, base: str) -> Verdict:
    return Verdict(
        gate=gate,
        status=Status.SKIPPED,
        summary=f"not affected: none of its inputs changed since {base}",
    )


def _last_durations(root: Path, gates: Iterable[str]) -> dict[str, int]:
    """How long each gate took last time (longest first keeps the workers busy)."""
    out = {}
    for gate in gates:
        path = root / pipeline.VERDICT_DIR / f"{gate}.json"
        with contextlib.suppress(OSError, ValueError, TypeError):
            document = json.loads(path.read_text(encoding="utf-8"))
            if not document.get("cached"):
                out[gate] = int(document.get("duration_ms", 0))
    return out


def _jobs(ctx: GateContext) -> int:
    jobs = int(ctx.option("jobs"))
    return jobs if jobs > 0 else max(2, os.cpu_count() or 1)


@dataclass(frozen=True, kw_only=True, slots=True)
class Ran:
    """What `run_gates` did: each gate's verdict (in the configured order), the gates not
    affected by the change since ``--base``, and those not run after a failure."""

    verdicts: list[Verdict]
    not_affected: list[str]
    not_run: list[str]


def run(ctx: GateContext) -> Verdict:
    """Run the configured gates and combine their verdicts (see the module docstring)."""
    ran = run_gates(ctx)
    verdict = combine(ran.verdicts, ran.not_run, not_affected=ran.not_affected, base=ctx.base)
    # Every gate's verdict carries the project block git gave for this run: so does this.
    known = [v.project for v in ran.verdicts if v.project.commit or v.project.dirty is not None]
    return verdict.replace(project=known[0]) if known else verdict


def run_gates(ctx: GateContext) -> Ran:
    """Every configured gate's verdict, each file written; ``ctx`` is the context of
    ``all`` (its options say which gates, how many at once, whether to use the cache)."""
    names: tuple[str, ...] = ctx.option("gates")
    requests = {gate: _request(ctx, gate) for gate in names}
    if ctx.option("fail-fast"):
        return _serial_fail_fast(ctx, names, requests)
    verdicts: dict[str, Verdict] = {}
    inputs = {gate: _inputs(r) for gate, r in requests.items()}
    idle = []
    if ctx.base is not None:
        changed = changed_paths(ctx.root, ctx.base)
        for gate, found in inputs.items():
            if found is not None and not touched(found, changed):
                verdicts[gate] = _not_affected(gate, ctx.base)
                idle.append(gate)
    waiting = [g for g in names if g not in verdicts]
    for gate in [g for g in waiting if (inputs[g] or Inputs()).exclusive]:
        ctx.progress(f"running {gate} (it changes files: alone, first)")
        verdicts[gate] = _published(pipeline.execute(requests[gate]), ctx.root)
    waiting = [g for g in names if g not in verdicts]
    session = Session.open(ctx.root)
    shared: dict[str, object] = {}  # one git diff for every gate asked before any runs
    try:
        session.project = project_info(ctx.root, ctx.base)
        # A gate that reads another's verdict (``after``) is asked only once those it reads
        # are answered: when one of them runs again, so does it.
        ordered = sorted(waiting, key=lambda g: bool((inputs[g] or Inputs()).after))
        for gate in ordered:
            if any(g in waiting and g not in verdicts for g in (inputs[gate] or Inputs()).after):
                continue
            asked = dataclasses.replace(requests[gate], shared=shared)
            answered = pipeline.answer_without_running(asked, session)
            if answered is not None:
                verdicts[gate] = _published(answered, ctx.root)
    finally:
        session.close()
    misses = [g for g in names if g not in verdicts]
    if misses:
        ctx.progress("running " + ", ".join(misses))
        database = {g for g in misses if (inputs[g] or Inputs()).database}
        durations = _last_durations(ctx.root, misses)
        order = sorted(misses, key=lambda g: -durations.get(g, 0))
        from qualgate import workers  # fork and pipes: only when something runs

        after = {g: (inputs[g] or Inputs()).after for g in misses}
        # Each verdict file is written as its gate finishes: a gate started after it reads it.
        published: dict[str, Verdict] = {}

        def publish(outcome: pipeline.Outcome) -> None:
            published[outcome.verdict.gate] = _published(outcome, ctx.root)

        workers.run_all(
            [requests[g] for g in order],
            database=database,
            jobs=_jobs(ctx),
            after=after,
            on_done=publish,
        )
        for gate in misses:
            verdicts[gate] = published[gate]
    return Ran(verdicts=[verdicts[g] for g in names], not_affected=idle, not_run=[])


def _serial_fail_fast(
    ctx: GateContext, names: Sequence[str], requests: dict[str, pipeline.Request]
) -> Ran:
    verdicts: list[Verdict] = []
    for index, gate in enumerate(names):
        ctx.progress(f"running {gate}")
        verdict = _published(pipeline.execute(requests[gate]), ctx.root)
        verdicts.append(verdict)
        if verdict.status in (Status.FAIL, Status.ERROR):
            return Ran(verdicts=verdicts, not_affected=[], not_run=list(names[index + 1 :]))
    return Ran(verdicts=verdicts, not_affected=[], not_run=[])


def _status(verdicts: Sequence[Verdict]) -> Status:
    """A failing gate decides even beside an erroring one: its fix is known."""
    statuses = {v.status for v in verdicts}
    if Status.FAIL in statuses:
        return Status.FAIL
    if Status.ERROR in statuses:
        return Status.ERROR
    return derive_status([Check(name=v.gate, status=v.status) for v in verdicts])


def combine(
    verdicts: list[Verdict],
    skipped_after: list[str],
    *,
    not_affected: Sequence[str] = (),
    base: str | None = None,
) -> Verdict:
    """One verdict from several gates': a check per gate, every finding, threshold, step."""
    checks: list[Check] = []
    findings: list[Finding] = []
    thresholds: list[Threshold] = []
    errors_steps: list[str] = []
    other_steps: list[str] = []
    affected = [v for v in verdicts if v.gate not in not_affected]
    cached = [v.gate for v in affected if v.cached]
    for v in verdicts:
        checks.append(
            Check(
                name=v.gate,
                status=v.status,
                duration_ms=v.duration_ms,
                findings=len(v.findings),
                summary=f"{v.summary} (cached)" if v.cached else v.summary,
            )
        )
        findings.extend(
            dataclasses.replace(f, check=f"{v.gate}/{f.check}" if f.check else v.gate)
            for f in v.findings
        )
        thresholds.extend(dataclasses.replace(t, name=f"{v.gate}:{t.name}") for t in v.thresholds)
        steps = errors_steps if v.status is Status.ERROR else other_steps
        steps.extend(f"{v.gate}: {step}" for step in v.next_steps)
    by_status = {s: [v.gate for v in affected if v.status is s] for s in Status}
    parts = [
        f"{len(by_status[s])} {s.value} ({', '.join(by_status[s])})"
        for s in (Status.ERROR, Status.FAIL, Status.PASS, Status.SKIPPED)
        if by_status[s]
    ]
    summary = f"{plural(len(verdicts), 'gate')}: " + "; ".join(parts)
    idle = [v.gate for v in verdicts if v not in affected]
    if idle:
        sep = "; " if parts else ""
        summary += f"{sep}{len(idle)} not affected since {base} ({', '.join(idle)})"
    if cached:
        summary += f"; {len(cached)} answered from the cache"
    if skipped_after:
        summary += f"; not run after the first failure (--fail-fast): {', '.join(skipped_after)}"
    metrics: dict[str, object] = {"gates": {v.gate: v.status.value for v in verdicts}}
    if cached:
        metrics["cached"] = cached
    if idle:
        metrics["not_affected"] = idle
    return Verdict(
        gate="all",
        status=_status(affected) if affected else Status.SKIPPED,
        summary=summary,
        checks=tuple(checks),
        findings=tuple(findings),
        thresholds=tuple(thresholds),
        next_steps=tuple(errors_steps + other_steps),
        metrics=metrics,
        cached=bool(affected) and len(cached) == len(affected),
    )
