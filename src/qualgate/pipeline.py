"""The one run pipeline: options -> context -> error boundary -> policies -> verdict file ->
renderings. The CLI, ``qualgate all`` and the gates' extra commands (``merge``) all call it.

- `context_for` resolves a gate's options (command line > environment > file > default)
  into a `GateContext`;
- `execute` runs a gate inside the one error boundary and applies the policies every gate
  shares (``--base`` marking, ``--require``, secret masking, fingerprints, the envelope);
- `publish` writes the verdict file and every report atomically, runs the renderers'
  publish hooks (the GitHub step summary) and returns the exit code.

Nothing here knows click; gates know nothing of this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from qualgate import __version__, git
from qualgate.config import Source, load_config, resolve
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.fingerprint import add_fingerprints
from qualgate.fsutil import escapes_root, write_atomic
from qualgate.gates import GATES, GateModule, load
from qualgate.interrupts import DeadlineExceeded, Terminated, guarded
from qualgate.options import Option, common_options
from qualgate.policy import mark_existing
from qualgate.redact import mask, url_secrets
from qualgate.render import RENDERERS, render
from qualgate.verdict import Project, Status, Tool, Verdict, to_json

# Where verdict files go unless `verdict-dir` says otherwise (relative to the root).
VERDICT_DIR = Path(".qualgate") / "verdicts"

# A value given on the command line or in the environment, with where it came from.
Given = Mapping[str, tuple[Any, str]]


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def error_verdict(gate: str, reason: str, hint: str | None = None) -> Verdict:
    """The verdict of a gate that could not give an honest answer."""
    first_line = reason.strip().splitlines()[0] if reason.strip() else "unknown error"
    return Verdict(
        gate=gate, status=Status.ERROR, summary=first_line, next_steps=(hint,) if hint else ()
    )


def gate_specs(gate: str) -> tuple[GateModule, tuple[Option, ...]]:
    """A gate's module and every option it takes (the common ones first)."""
    module = load(gate)
    return module, (*common_options(float(module.DEFAULT_TIMEOUT)), *module.OPTIONS)


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    """One run of a gate, as the command line (or ``all``) asked for it."""

    gate: str
    root: Path
    # The root as the user wrote it (shown in messages and the reproduce command).
    shown_root: str = "."
    config_file: Path | None = None
    given: Given = field(default_factory=dict)
    base: str | None = None
    debug: bool = False
    extra_args: tuple[str, ...] = ()
    reproduce: str = ""
    # Seconds left of an enclosing run's budget (``all``), if any.
    budget: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """A finished run: its verdict, where its file goes, and the exit code of the signal that
    ended it early (130 Ctrl-C, 143 SIGTERM), if one did."""

    verdict: Verdict
    verdict_dir: Path
    signal_code: int | None = None

    @property
    def interrupted(self) -> bool:
        return self.signal_code is not None


def context_for(request: Request, started: float) -> tuple[GateContext, bool]:
    """The gate's context from its resolved options, and whether ``--require`` is on."""
    if not request.root.is_dir():
        raise GateError(f"project root {request.shown_root} is not a directory")
    _module, specs = gate_specs(request.gate)
    config = load_config(request.root, request.config_file, GATES)
    values = {
        key: r.value
        for key, r in resolve(request.gate, specs, request.given, config, request.root).items()
    }
    timeout = float(values["timeout"])
    if request.budget is not None:
        timeout = min(timeout, request.budget)
    ctx = GateContext(
        gate=request.gate,
        root=request.root,
        options=values,
        base=request.base,
        timeout=timeout,
        debug=request.debug,
        extra_args=request.extra_args,
        started=started,
        config_file=request.config_file,
    )
    return ctx, bool(values["require"])


def _secrets(request: Request, ctx: GateContext | None) -> tuple[str, ...]:
    """Literal secrets this run knows of: passwords of URLs among its option values."""
    values: list[Any] = [v for v, _source in request.given.values()]
    if ctx is not None:
        values += list(ctx.options.values())
    found: list[str] = []
    for value in values:
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(item, str) and ("://" in item or "=" in item):
                found += url_secrets(item)
    return tuple(dict.fromkeys(found))


def execute(
    request: Request,
    run: Callable[[GateContext], Verdict] | None = None,
) -> Outcome:
    """Run the gate (or ``run``, an extra command of it) inside the error boundary.

    Whatever happens, a finalized verdict comes out. Ctrl-C and SIGTERM give an ``error``
    verdict with ``signal_code`` set, so the caller can publish it and exit 130 or 143;
    running past ``--timeout`` (even while parsing in-process) is an ``error`` verdict.
    """
    started_at, t0 = utc_now(), time.monotonic()
    ctx: GateContext | None = None
    require = False
    verdict_dir = request.root / VERDICT_DIR
    signal_code: int | None = None
    try:
        ctx, require = context_for(request, t0)
        verdict_dir = ctx.option("verdict-dir")
        with guarded(ctx.timeout):
            verdict = _run_gate(ctx, run)
    except DeadlineExceeded:
        timeout = ctx.timeout if ctx is not None else 0
        verdict = error_verdict(
            request.gate,
            f"timed out: the gate ran past its --timeout of {timeout:g}s",
            "raise --timeout, or find what hangs (`--debug` shows where it stopped)",
        )
    except Terminated:
        verdict = error_verdict(
            request.gate, "terminated (SIGTERM) before the gate finished", "run the gate again"
        )
        signal_code = 143
    except KeyboardInterrupt:
        verdict = error_verdict(
            request.gate, "interrupted (Ctrl-C)", "run the gate again to completion"
        )
        signal_code = 130
    except GateError as exc:
        if request.debug:
            traceback.print_exc(file=sys.stderr)
        verdict = error_verdict(request.gate, exc.reason, exc.hint)
    except Exception as exc:  # noqa: BLE001 - the error boundary: every fault is a verdict
        if request.debug:
            traceback.print_exc(file=sys.stderr)
        verdict = error_verdict(
            request.gate,
            f"internal error: {type(exc).__name__}: {exc}",
            f"rerun with --debug for the traceback (`qualgate {request.gate} --debug`) "
            "and report it",
        )
    verdict = finalize(
        verdict,
        root=request.root,
        # A merged verdict judged against the shards' base says so itself.
        base=request.base if request.base is not None else verdict.project.base,
        started_at=started_at,
        t0=t0,
        require=require,
        reproduce=request.reproduce,
        secrets=_secrets(request, ctx),
    )
    return Outcome(verdict=verdict, verdict_dir=verdict_dir, signal_code=signal_code)


def _run_gate(ctx: GateContext, run: Callable[[GateContext], Verdict] | None) -> Verdict:
    module = load(ctx.gate)
    verdict = (run or module.run)(ctx)
    changed = ctx.changed_lines()
    if changed is not None and verdict.status is not Status.ERROR:
        scoped: frozenset[str] = getattr(module, "BASE_SCOPED", frozenset())
        verdict = mark_existing(verdict, changed, scoped)
    return verdict


def finalize(
    verdict: Verdict,
    *,
    root: Path,
    base: str | None,
    started_at: str,
    t0: float,
    require: bool = False,
    reproduce: str = "",
    secrets: Sequence[str] = (),
) -> Verdict:
    """Add the envelope (tool, timing, project, fingerprints), apply ``--require``, mask."""
    status, summary = verdict.status, verdict.summary
    if require and status is Status.SKIPPED:
        status, summary = Status.FAIL, f"required but skipped: {summary}"
    findings = add_fingerprints(verdict.gate, verdict.findings, root)

    def hide(text: str) -> str:
        return mask(text, secrets)

    return verdict.replace(
        status=status,
        summary=hide(summary or status.value),
        next_steps=tuple(hide(s) for s in verdict.next_steps),
        checks=tuple(
            dataclasses.replace(
                c,
                command=tuple(hide(a) for a in c.command) if c.command else c.command,
                summary=hide(c.summary) if c.summary else c.summary,
            )
            for c in verdict.checks
        ),
        tool=Tool(name="qualgate", version=__version__),
        started_at=started_at,
        duration_ms=int((time.monotonic() - t0) * 1000),
        project=project_info(root, base),
        # Fingerprints first: they hash the text as the gate reported it.
        findings=tuple(dataclasses.replace(f, message=hide(f.message)) for f in findings),
        reproduce=hide(verdict.reproduce or reproduce),
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


def usage_error(gate: str, message: str, argv: Sequence[str]) -> Verdict:
    """The verdict printed after a usage error (the command line may hold a password)."""
    import shlex

    secrets = tuple(s for a in argv if "://" in a or "=" in a for s in url_secrets(a))
    verdict = error_verdict(gate, f"usage: {message}", "see `qualgate --help`")
    return verdict.replace(
        tool=Tool(version=__version__),
        started_at=utc_now(),
        summary=mask(verdict.summary, secrets),
        reproduce=shlex.join(mask(a, secrets) for a in argv),
    )


def write_verdict_file(
    verdict: Verdict, verdict_dir: Path, root: Path, document: str | None = None
) -> None:
    """``<verdict_dir>/<gate>.json``, atomically, never through a link out of the project."""
    _safe_write(verdict_dir / f"{verdict.gate}.json", root, document or to_json(verdict))


def _safe_write(path: Path, root: Path, text: str) -> None:
    if escapes_root(path, root):
        raise OSError(f"{path} leads outside the project through a symbolic link; not written")
    write_atomic(path, text)


def publish(
    verdict: Verdict,
    fmt: str,
    reports: Sequence[tuple[str, Path]],
    verdict_dir: Path,
    root: Path,
    out: TextIO,
    err: TextIO,
    environ: Mapping[str, str] = os.environ,
) -> int:
    """Write the verdict file and reports, run publish hooks, print ``fmt`` to ``out``.

    Returns the exit code. A file that cannot be written is said on ``err``; the run's
    answer on stdout and its exit code stand.
    """
    document = to_json(verdict)  # serialised once: the file, json reports and stdout share it
    try:
        write_verdict_file(verdict, verdict_dir, root, document)
    except OSError as exc:
        err.write(f"qualgate: could not write the verdict file: {exc}\n")
    for report_fmt, path in reports:
        try:
            text = document if report_fmt == "json" else render(report_fmt, verdict)
            _safe_write(path, root, text)
        except OSError as exc:
            err.write(f"qualgate: could not write report {path}: {exc}\n")
    for used in dict.fromkeys([fmt, *(f for f, _ in reports)]):
        hook = getattr(importlib.import_module(RENDERERS[used]), "publish", None)
        if hook is not None:
            hook(verdict, environ)
    out.write(document if fmt == "json" else render(fmt, verdict))
    out.flush()
    return verdict.exit_code


def given_from(values: Mapping[str, Any], source: str = Source.COMMAND_LINE) -> dict[str, Any]:
    """``{option: (value, source)}`` for values a caller sets programmatically."""
    return {k: (v, source) for k, v in values.items()}
