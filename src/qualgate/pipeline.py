"""The one run pipeline: options -> context -> error boundary -> policies -> verdict file ->
renderings. The CLI, ``qualgate all`` and the gates' extra commands (``merge``) all call it.

- `context_for` resolves a gate's options (command line > environment > file > default)
  into a `GateContext`;
- `execute` runs a gate inside the one error boundary (or replays its answer from the
  result cache, `qualgate.cache`) and applies the policies every gate shares
  (``--base`` marking, the baseline, ``--require``, secret masking, fingerprints, the
  envelope);
- `publish` writes the verdict file and every report atomically, runs the renderers'
  publish hooks (the GitHub step summary) and returns the exit code.

Nothing here knows click; gates know nothing of this module.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from qualgate import __version__
from qualgate import baseline as baselines
from qualgate.cache import lookup
from qualgate.cache.store import ensure_ignored
from qualgate.config import Source, baseline_path, load_config, resolve
from qualgate.context import GateContext
from qualgate.envelope import finalize, masked
from qualgate.errors import GateError
from qualgate.fingerprint import add_fingerprints
from qualgate.fsutil import escapes_root, write_atomic
from qualgate.gates import GATES, GateModule, load
from qualgate.interrupts import DeadlineExceeded, Terminated, guarded
from qualgate.options import Option, common_options
from qualgate.policy import mark_existing
from qualgate.redact import mask, url_secrets
from qualgate.render import RENDERERS, render
from qualgate.verdict import Status, Tool, Verdict, to_json

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
    # What several runs that see the same state of the work tree share (the lines
    # changed since --base): ``all`` asking every gate before any runs.
    shared: dict[str, Any] | None = None


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


@dataclass(frozen=True, kw_only=True, slots=True)
class Prepared:
    """A run ready to go: the gate's context, ``--require``, and the baseline file."""

    ctx: GateContext
    require: bool
    baseline_file: Path


def context_for(request: Request, started: float) -> Prepared:
    """The gate's context from its resolved options (raises `GateError` on bad config)."""
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
        _memo=request.shared if request.shared is not None else {},
    )
    return Prepared(
        ctx=ctx, require=bool(values["require"]), baseline_file=baseline_path(config, request.root)
    )


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
    *,
    session: lookup.Session | None = None,
) -> Outcome:
    """Run the gate (or ``run``, an extra command of it) inside the error boundary.

    Whatever happens, a finalized verdict comes out. Ctrl-C and SIGTERM give an ``error``
    verdict with ``signal_code`` set, so the caller can publish it and exit 130 or 143;
    running past ``--timeout`` (even while parsing in-process) is an ``error`` verdict.
    """
    outcome = _execute(request, run, session, cached_only=False)
    if outcome is None:  # pragma: no cover - only a cached_only call answers None
        raise AssertionError("a run without an outcome")
    return outcome


def answer_without_running(request: Request, session: lookup.Session) -> Outcome | None:
    """The outcome when it needs no run (a cached answer, a configuration error), else
    None: how ``all`` learns what it must schedule."""
    return _execute(request, None, session, cached_only=True)


def _execute(
    request: Request,
    run: Callable[[GateContext], Verdict] | None,
    session: lookup.Session | None,
    *,
    cached_only: bool,
) -> Outcome | None:
    started_at, t0 = utc_now(), time.monotonic()
    ctx: GateContext | None = None
    require = False
    verdict_dir = request.root / VERDICT_DIR
    signal_code: int | None = None
    cached = False
    known: baselines.Baseline | None = None
    try:
        prepared = context_for(request, t0)
        ctx, require = prepared.ctx, prepared.require
        verdict_dir = ctx.option("verdict-dir")
        known = baselines.load(prepared.baseline_file)
        with guarded(ctx.timeout):
            answer = _answer(request, ctx, run, session, cached_only)
            if answer is None:
                return None
            verdict, cached = answer
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
            _traceback()
        verdict = error_verdict(request.gate, exc.reason, exc.hint)
    except Exception as exc:  # noqa: BLE001 - the error boundary: every fault is a verdict
        if request.debug:
            _traceback()
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
        baseline=known,
        # A replay, or a run of `all`, takes the project block it was given.
        project=session.project if session is not None else None,
    )
    if cached:
        verdict = verdict.replace(cached=True)
    return Outcome(verdict=verdict, verdict_dir=verdict_dir, signal_code=signal_code)


def _traceback() -> None:
    import traceback

    traceback.print_exc(file=sys.stderr)


def _answer(
    request: Request,
    ctx: GateContext,
    run: Callable[[GateContext], Verdict] | None,
    session: lookup.Session | None,
    cached_only: bool,
) -> tuple[Verdict, bool] | None:
    """The gate's judgement (fingerprinted, masked), from the cache when it may, and
    whether it came from there. Policies that follow (``--base``, the baseline) apply to
    a replayed answer exactly as to a fresh one."""
    module = load(ctx.gate)
    secrets = _secrets(request, ctx)

    def fresh() -> Verdict:
        verdict = (run or module.run)(ctx)
        # Fingerprints before masking: they hash the text as the gate reported it.
        findings = add_fingerprints(verdict.gate, verdict.findings, ctx.root)
        return masked(verdict.replace(findings=findings), secrets)

    if run is not None or not ctx.option("cache"):
        if cached_only:
            return None
        verdict, cached = fresh(), False
    else:
        own = session is None
        current = session if session is not None else lookup.Session.open(ctx.root)
        try:
            answer = lookup.answer(ctx, module, current, fresh, cached_only=cached_only)
        finally:
            if own:
                current.close()
        if answer is None:
            return None
        verdict, cached = answer
    changed = ctx.changed_lines()
    # Also on an error verdict (its status stays error): the findings it did report are
    # judged like any others, so an agent is not blocked on lines it never touched.
    if changed is not None:
        scoped: frozenset[str] = getattr(module, "BASE_SCOPED", frozenset())
        verdict = mark_existing(verdict, changed, scoped)
    return verdict, cached


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
    """``<verdict_dir>/<gate>.json``, atomically, never through a link out of the project.

    The first write into ``.qualgate/`` leaves its ``.gitignore`` there too.
    """
    if Path(os.path.abspath(verdict_dir)).is_relative_to(root / ".qualgate"):
        ensure_ignored(root)
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
