"""``qualgate all``: every configured gate through the run pipeline, combined into one verdict.

Each gate runs with its own configuration (its ``[tool.qualgate.<gate>]`` table) inside
the same pipeline as when it runs alone, and writes its own verdict file, so a later tool
can read either the combined verdict or any single gate's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex

from qualgate import pipeline
from qualgate.context import GateContext
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
)


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
        help="Stop after the first gate that fails or errors.",
    ),
)


def _run_one(ctx: GateContext, gate: str) -> Verdict:
    ctx.progress(f"running {gate}")
    request = pipeline.Request(
        gate=gate,
        root=ctx.root,
        config_file=ctx.config_file,
        base=ctx.base,
        debug=ctx.debug,
        budget=ctx.remaining(),
    )
    outcome = pipeline.execute(request)
    if outcome.signal_code == 143:
        raise Terminated
    if outcome.interrupted:
        raise KeyboardInterrupt
    verdict = outcome.verdict
    verdict = verdict.replace(reproduce=shlex.join(["qualgate", gate, verdict.project.root]))
    # The combined verdict carries everything even when a gate's own file cannot be written.
    with contextlib.suppress(OSError):
        pipeline.write_verdict_file(verdict, outcome.verdict_dir, ctx.root)
    return verdict


def combine(verdicts: list[Verdict], skipped_after: list[str]) -> Verdict:
    """One verdict from several gates': a check per gate, every finding, threshold, step."""
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
    # A gate's verdict already weighed its own findings and thresholds: its status decides.
    status = derive_status(checks)
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
            return combine(verdicts, list(names[index + 1 :]))
    return combine(verdicts, [])
