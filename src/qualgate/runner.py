"""The error boundary: whatever happens inside a gate, a `Verdict` comes out.

Expected faults (`GateError`) become an ``error`` verdict with the reason and a hint;
an unexpected exception becomes an ``error`` verdict too (its traceback goes to stderr
only with ``--debug``). Ctrl-C is left to the CLI, which writes a verdict and exits 130.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import time
import traceback
from pathlib import Path

from qualgate import __version__, git
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.policy import mark_existing
from qualgate.redact import mask
from qualgate.verdict import (
    Project,
    Status,
    Tool,
    Verdict,
    add_fingerprints,
)


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def error_verdict(gate: str, reason: str, hint: str | None = None) -> Verdict:
    """The verdict of a gate that could not give an honest answer."""
    first_line = reason.strip().splitlines()[0] if reason.strip() else "unknown error"
    return Verdict(
        gate=gate,
        status=Status.ERROR,
        summary=first_line,
        next_steps=(hint,) if hint else (),
    )


def run_gate(
    ctx: GateContext,
    *,
    require: bool = False,
    reproduce: str = "",
    started_at: str | None = None,
    t0: float | None = None,
) -> Verdict:
    """Run ``ctx.gate`` inside the error boundary and fill in the verdict's envelope."""
    from qualgate import gates

    started_at = started_at or utc_now()
    t0 = time.monotonic() if t0 is None else t0
    try:
        module = gates.load(ctx.gate)
        verdict = module.run(ctx)
        changed = ctx.changed_lines()
        if changed is not None and verdict.status is not Status.ERROR:
            scoped: frozenset[str] = getattr(module, "BASE_SCOPED", frozenset())
            verdict = mark_existing(verdict, changed, scoped)
    except GateError as exc:
        if ctx.debug:
            traceback.print_exc(file=sys.stderr)
        verdict = error_verdict(ctx.gate, exc.reason, exc.hint)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - the error boundary: every fault is a verdict
        if ctx.debug:
            traceback.print_exc(file=sys.stderr)
        verdict = error_verdict(
            ctx.gate,
            f"internal error: {type(exc).__name__}: {exc}",
            f"rerun with --debug for the traceback (`qualgate {ctx.gate} --debug`) and report it",
        )
    return finalize(
        verdict, ctx, started_at=started_at, t0=t0, require=require, reproduce=reproduce
    )


def finalize(
    verdict: Verdict,
    ctx: GateContext,
    *,
    started_at: str,
    t0: float,
    require: bool = False,
    reproduce: str = "",
) -> Verdict:
    """Add the envelope: tool, timing, project, fingerprints; apply ``--require``."""
    status, summary = verdict.status, verdict.summary
    if require and status is Status.SKIPPED:
        status, summary = Status.FAIL, f"required but skipped: {summary}"
    findings = add_fingerprints(verdict.gate, verdict.findings, ctx.root)
    return verdict.replace(
        status=status,
        summary=mask(summary or status.value),
        next_steps=tuple(mask(s) for s in verdict.next_steps),
        checks=tuple(
            dataclasses.replace(
                c,
                command=tuple(mask(a) for a in c.command) if c.command else c.command,
                summary=mask(c.summary) if c.summary else c.summary,
            )
            for c in verdict.checks
        ),
        tool=Tool(name="qualgate", version=__version__),
        started_at=started_at,
        duration_ms=int((time.monotonic() - t0) * 1000),
        project=project_info(ctx.root, ctx.base),
        # Fingerprints first: they hash the text as the gate reported it.
        findings=tuple(dataclasses.replace(f, message=mask(f.message)) for f in findings),
        reproduce=mask(verdict.reproduce or reproduce),
    )


def project_info(root: Path, base: str | None) -> Project:
    try:
        shown = os.path.relpath(root)
    except ValueError:  # pragma: no cover - Windows drives
        shown = str(root)
    if shown.startswith(".."):
        shown = str(root)
    return Project(
        root=Path(shown).as_posix(),
        commit=git.head_commit(root),
        dirty=git.is_dirty(root),
        base=base,
    )
