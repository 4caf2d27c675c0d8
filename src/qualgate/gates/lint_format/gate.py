"""The lint-format gate: ruff lint, ruff formatting and mypy types, one check each.

The three tools run at once (the two ruff runs in worker threads, mypy in the calling
thread so Ctrl-C reaches the longest run), and their results are assembled in a fixed
order, so the verdict does not depend on which finished first.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from qualgate import policy
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.options import Kind, Option
from qualgate.verdict import Check, Status, Verdict

from . import mypy as mypy_check
from . import ruff as ruff_check
from .judge import STANDARDS_CHECK, build_verdict, dedupe_standards
from .rules import RULES
from .tools import Outcome, find_mypy, find_ruff, ruff_version

DEFAULT_TIMEOUT = 600.0
CHECK_NAMES = ("ruff", "format", "mypy")
PRESETS = ("none", "standards")
# Every check's findings are judged by the lines changed since --base.
BASE_SCOPED = policy.ALL_CHECKS


def _valid_checks(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [v for v in value if v not in CHECK_NAMES]
    if unknown or not value:
        raise ValueError(
            f"expects a list of {', '.join(CHECK_NAMES)} (got {', '.join(value) or 'nothing'})"
        )
    # Keep a fixed order and drop repeats: the verdict must not depend on how they were typed.
    return tuple(name for name in CHECK_NAMES if name in value)


def _describe_standards() -> str:
    from . import standards

    lines = [f"The `standards` preset (qualgate {RULES.gate} --preset standards):"]
    for s in standards.STANDARDS:
        lines.append(f"  {s.name}: {s.title} [{', '.join(s.rules)}]")
        # ruff's rules are ruff's to describe; qualgate's own come from its catalogue.
        for rule in filter(None, map(RULES.get, s.rules)):
            lines.append(f"    {rule.id}: {rule.rationale} ({RULES.help_url(rule.id)})")
    return "\n".join(lines) + "\n"


OPTIONS = (
    Option(
        name="checks",
        kind=Kind.LIST,
        default=CHECK_NAMES,
        validate=_valid_checks,
        metavar="ruff,format,mypy",
        expects="a list of ruff, format, mypy",
        help="Which checks to run (default: all three).",
    ),
    Option(
        name="fix",
        kind=Kind.BOOL,
        default=False,
        help="Apply ruff's safe fixes and the formatter, then report what remains.",
    ),
    Option(
        name="preset",
        kind=Kind.CHOICE,
        choices=PRESETS,
        default="none",
        help="Extra rule set: 'standards' enforces common backend engineering standards.",
    ),
    Option(
        name="max-function-lines",
        kind=Kind.INT,
        min=1,
        default=50,
        metavar="N",
        help="With --preset standards: the longest a function may be, in lines (default 50).",
    ),
    Option(
        name="python",
        kind=Kind.PATH,
        metavar="PYTHON",
        help="The project's interpreter, for mypy (default: .venv/bin/python, else qualgate's).",
    ),
    Option(
        name="ruff",
        kind=Kind.PATH,
        metavar="RUFF",
        help="The ruff executable (default: .venv/bin/ruff, then beside qualgate, then PATH).",
    ),
    Option(
        name="list-standards",
        kind=Kind.BOOL,
        action=_describe_standards,
        help="List the rules of the standards preset and exit.",
    ),
)


def _has_python(root: Path) -> bool:
    """Whether there is any Python file to check (virtualenvs and hidden dirs aside)."""
    for current, dirs, files in os.walk(root):
        # Beyond the shared skip-list, any hidden folder (.direnv, .pants.d, ...): tool
        # state, whose Python files alone must not make the gate run.
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in policy.SKIP_DIRS]
        if any(f.endswith((".py", ".pyi", ".ipynb")) for f in files):
            return True
        del current
    return False


def _guard(name: str, run: Callable[[], Outcome]) -> Outcome:
    """Run one check; a GateError (tool missing, timeout) becomes that check's error."""
    try:
        return run()
    except GateError as exc:
        return Outcome(
            check=Check(
                name=name,
                status=Status.ERROR,
                summary=exc.reason,
            ),
            reason=exc.reason,
            hint=exc.hint,
        )


def run(ctx: GateContext) -> Verdict:
    """Run the selected checks (and the fixer, with --fix) and judge their findings."""
    root = ctx.root
    selected: tuple[str, ...] = ctx.option("checks")
    preset: str = ctx.option("preset")
    fix: bool = ctx.option("fix")
    max_lines: int = ctx.option("max-function-lines")
    use_standards = preset == "standards"
    if not _has_python(root):
        return Verdict(
            gate=ctx.gate,
            status=Status.SKIPPED,
            summary="no Python files to check under the project root",
        )
    # A bad --base ref stops here, before anything runs. The diff is taken once per run,
    # before --fix changes the tree: the pipeline's --base marking uses this same one.
    changed = ctx.changed_lines()
    python = ctx.python()
    relpath: Callable[[str], str] = ctx.relpath

    ruff: str | None = None
    if {"ruff", "format"} & set(selected) or use_standards:
        ruff = find_ruff(root, ctx.option("ruff"), python)

    outcomes: list[Outcome] = []
    changed_files: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()
    if fix and ruff is not None and {"ruff", "format"} & set(selected):
        ctx.progress("applying ruff's safe fixes and the formatter")
        from . import fix as fixer

        result = fixer.apply_fixes(
            ruff,
            root,
            version=ruff_version(ruff, root),
            timeout=ctx.remaining,
            relpath=relpath,
            lint="ruff" in selected,
            fmt="format" in selected,
            only=changed.files if changed is not None else None,
        )
        outcomes.extend(result.outcomes)
        changed_files, outside = result.changed, result.skipped_outside

    outcomes.extend(_run_checks(ctx, selected, ruff, python, max_lines, use_standards))
    outcomes = dedupe_standards(outcomes)
    scope = changed.files if changed is not None else None
    return build_verdict(ctx, outcomes, changed_files, outside, fix=fix, fix_scope=scope)


def _run_checks(
    ctx: GateContext,
    selected: tuple[str, ...],
    ruff: str | None,
    python: str,
    max_lines: int,
    use_standards: bool,
) -> list[Outcome]:
    root, relpath = ctx.root, ctx.relpath
    # `ruff --version` runs inside the worker threads (cached), alongside mypy.
    jobs: dict[str, Callable[[], Outcome]] = {}
    if ruff is not None and "ruff" in selected:
        jobs[ruff_check.RUFF_CHECK] = lambda: ruff_check.run_check(
            ruff, root, version=ruff_version(ruff, root), timeout=ctx.remaining(), relpath=relpath
        )
    if ruff is not None and "format" in selected:
        jobs[ruff_check.RUFF_FORMAT] = lambda: ruff_check.run_format(
            ruff,
            root,
            version=ruff_version(ruff, root),
            timeout=ctx.remaining(),
            relpath=relpath,
            # ruff-check already reports a file that does not parse.
            report_parse_errors="ruff" not in selected,
        )
    if ruff is not None and use_standards:
        jobs[STANDARDS_CHECK] = lambda: _run_standards(
            ctx, ruff, ruff_version(ruff, root), max_lines
        )
    order = [ruff_check.RUFF_CHECK, ruff_check.RUFF_FORMAT, mypy_check.MYPY]
    order.append(STANDARDS_CHECK)
    results: dict[str, Outcome] = {}
    # Plain threads (not concurrent.futures, whose import costs more than the ruff runs
    # on a small tree); `_guard` returns an Outcome whatever the job raises as GateError.
    threads: list[threading.Thread] = []
    failures: list[BaseException] = []

    def work(name: str, job: Callable[[], Outcome]) -> None:
        try:
            results[name] = _guard(name, job)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            failures.append(exc)

    for name, job in jobs.items():
        thread = threading.Thread(target=work, args=(name, job), name=f"{ctx.gate}-{name}")
        thread.start()
        threads.append(thread)
    try:
        if "mypy" in selected:
            ctx.progress("running mypy")
            results[mypy_check.MYPY] = _guard(mypy_check.MYPY, lambda: _run_mypy(ctx, python))
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return [results[name] for name in order if name in results]


def _run_mypy(ctx: GateContext, python: str) -> Outcome:
    command = find_mypy(ctx.root, python, ctx.remaining())
    names_files = mypy_check.config_names_files(ctx.root)
    targets: list[str] = []
    if not names_files:
        targets = mypy_check.default_targets(ctx.root)
        if not targets:
            return Outcome(
                check=Check(
                    name=mypy_check.MYPY,
                    status=Status.SKIPPED,
                    tool_version=command.version,
                    summary="no packages to type-check (set `files` in the mypy config)",
                )
            )
    return mypy_check.run(
        command, ctx.root, targets=targets, timeout=ctx.remaining(), relpath=ctx.relpath
    )


def _run_standards(ctx: GateContext, ruff: str, version: str | None, max_lines: int) -> Outcome:
    from . import fix as fixer
    from . import standards

    started = time.monotonic()
    files = [ctx.relpath(str(p)) for p in fixer.list_files(ruff, ctx.root, ctx.remaining())]
    selection = ",".join(standards.RUFF_RULES)
    preset_run = ruff_check.run_check(
        ruff,
        ctx.root,
        version=version,
        timeout=ctx.remaining(),
        relpath=ctx.relpath,
        extra=("--select", selection),
        name=STANDARDS_CHECK,
    )
    result = standards.outcome(preset_run, files, ctx.root, max_lines)
    # The check's time is the whole preset: file list, ruff run and the AST pass.
    elapsed = int((time.monotonic() - started) * 1000)
    return dataclasses.replace(result, check=dataclasses.replace(result.check, duration_ms=elapsed))
