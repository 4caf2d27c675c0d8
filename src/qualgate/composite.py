"""The ``all`` gate: every configured gate, one after another, combined into one verdict.

Each gate runs with its own configuration (its ``[tool.qualgate.<gate>]`` table) inside
the same error boundary as when it runs alone, and writes its own verdict file, so a
later tool can read either the combined verdict or any single gate's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import time
from pathlib import Path

from qualgate.context import GateContext
from qualgate.options import Kind, Option
from qualgate.verdict import Check, Finding, Status, Threshold, Verdict, plural

DEFAULT_TIMEOUT = 3600.0
ORDER = (
    "lint-format",
    "run-tests",
    "openapi-lint",
    "migration-check",
    "seed",
    "dependency-scan",
    "artifact-validate",
)


def _validate_gates(names: tuple[str, ...]) -> tuple[str, ...]:
    from qualgate.gates import GATES

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
        help="Stop after the first gate that fails or errors.",
    ),
)


def _sub_context(ctx: GateContext, gate: str) -> tuple[GateContext, bool, Path]:
    """A gate's own context: its options from the config file, our --base and time budget."""
    from qualgate import gates
    from qualgate.config import load_config, resolve
    from qualgate.options import common_options

    module = gates.load(gate)
    specs = (*common_options(float(module.DEFAULT_TIMEOUT)), *module.OPTIONS)
    config = load_config(ctx.root, ctx.config_file, gates.GATES)
    values = {k: r.value for k, r in resolve(gate, specs, {}, config, ctx.root).items()}
    sub = GateContext(
        gate=gate,
        root=ctx.root,
        options=values,
        base=ctx.base,
        timeout=min(float(values["timeout"]), ctx.remaining()),
        debug=ctx.debug,
        config_file=ctx.config_file,
    )
    return sub, bool(values["require"]), values["verdict-dir"]


def _run_one(ctx: GateContext, gate: str) -> Verdict:
    from qualgate.errors import GateError
    from qualgate.fsutil import write_atomic
    from qualgate.runner import error_verdict, finalize, run_gate, utc_now
    from qualgate.verdict import to_json

    started_at, t0 = utc_now(), time.monotonic()
    try:
        sub, require, verdict_dir = _sub_context(ctx, gate)
    except GateError as exc:
        fallback = GateContext(gate=gate, root=ctx.root, base=ctx.base)
        return finalize(
            error_verdict(gate, exc.reason, exc.hint), fallback, started_at=started_at, t0=t0
        )
    ctx.progress(f"running {gate}")
    verdict = run_gate(sub, require=require, started_at=started_at, t0=t0)
    verdict = verdict.replace(reproduce=shlex.join(["qualgate", gate, verdict.project.root]))
    # The combined verdict carries everything even when a gate's own file cannot be written.
    with contextlib.suppress(OSError):
        write_atomic(verdict_dir / f"{gate}.json", to_json(verdict))
    return verdict


def _combine(verdicts: list[Verdict], skipped_after: list[str]) -> Verdict:
    checks: list[Check] = []
    findings: list[Finding] = []
    thresholds: list[Threshold] = []
    next_steps: list[str] = []
    for v in verdicts:
        checks.append(
            Check(
                name=v.gate,
                status=v.status,
                duration_ms=v.duration_ms,
                findings=len(v.findings),
                summary=v.summary,
            )
        )
        findings.extend(
            dataclasses.replace(f, check=f"{v.gate}/{f.check}" if f.check else v.gate)
            for f in v.findings
        )
        thresholds.extend(dataclasses.replace(t, name=f"{v.gate}:{t.name}") for t in v.thresholds)
        next_steps.extend(f"{v.gate}: {step}" for step in v.next_steps)
    statuses = [v.status for v in verdicts]
    if Status.ERROR in statuses:
        status = Status.ERROR
    elif Status.FAIL in statuses:
        status = Status.FAIL
    elif statuses and all(s is Status.SKIPPED for s in statuses):
        status = Status.SKIPPED
    else:
        status = Status.PASS
    by_status = {s: [v.gate for v in verdicts if v.status is s] for s in Status}
    parts = [
        f"{len(by_status[s])} {s.value} ({', '.join(by_status[s])})"
        for s in (Status.ERROR, Status.FAIL, Status.PASS, Status.SKIPPED)
        if by_status[s]
    ]
    summary = f"{plural(len(verdicts), 'gate')}: " + "; ".join(parts)
    if skipped_after:
        summary += f"; not run after the first failure (--fail-fast): {', '.join(skipped_after)}"
    return Verdict(
        gate="all",
        status=status,
        summary=summary,
        checks=tuple(checks),
        findings=tuple(findings),
        thresholds=tuple(thresholds),
        next_steps=tuple(next_steps),
        metrics={"gates": {v.gate: v.status.value for v in verdicts}},
    )


def run(ctx: GateContext) -> Verdict:
    """Run the configured gates in order and combine their verdicts."""
    names: tuple[str, ...] = ctx.option("gates")
    verdicts: list[Verdict] = []
    for index, gate in enumerate(names):
        verdict = _run_one(ctx, gate)
        verdicts.append(verdict)
        if ctx.option("fail-fast") and verdict.status in (Status.FAIL, Status.ERROR):
            return _combine(verdicts, list(names[index + 1 :]))
    return _combine(verdicts, [])
