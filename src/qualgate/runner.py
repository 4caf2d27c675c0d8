"""The error boundary: whatever happens inside a gate, a `Verdict` comes out.

Expected faults (`GateError`) become an ``error`` verdict with the reason and a hint;
an unexpected exception becomes an ``error`` verdict too (its traceback goes to stderr
only with ``--debug``). Ctrl-C is left to the CLI, which writes a verdict and exits 130.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from qualgate import __version__, git
from qualgate.context import GateContext
from qualgate.errors import GateError
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
        verdict = gates.load(ctx.gate).run(ctx)
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


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
