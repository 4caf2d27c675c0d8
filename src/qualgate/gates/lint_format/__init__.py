"""The lint-format gate: ruff lint, ruff formatting and mypy types, one check each.

The three tools run at once (the two ruff runs in worker threads, mypy in the calling
thread so Ctrl-C reaches the longest run), and their results are assembled in a fixed
order, so the verdict does not depend on which finished first.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from qualgate import git
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.options import Kind, Option
from qualgate.verdict import (
    Check,
    Finding,
    Severity,
    Status,
    Verdict,
    derive_status,
    findings_summary,
    plural,
)

from . import mypy as mypy_check
from . import ruff as ruff_check
from .tools import Outcome, find_mypy, find_ruff, ruff_version

DEFAULT_TIMEOUT = 600.0
# The check the standards preset adds (its module, which needs `ast`, loads only then).
STANDARDS_CHECK = "standards"
CHECK_NAMES = ("ruff", "format", "mypy")
PRESETS = ("none", "standards")


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

    lines = ["The `standards` preset (qualgate lint-format --preset standards):"]
    for s in standards.STANDARDS:
        lines.append(f"  {s.name}: {s.title} [{', '.join(s.rules)}]")
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

_PRUNE = frozenset({"node_modules", "__pycache__", "site-packages", "build", "dist", "venv"})


def _has_python(root: Path) -> bool:
    """Whether there is any Python file to check (virtualenvs and hidden dirs aside)."""
    for current, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _PRUNE]
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
            data={"reason": exc.reason, "hint": exc.hint},
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
    # A bad --base ref stops here, before anything runs. Not ctx.changed_lines(): its
    # per-process cache would serve a stale diff to a second run in the same process
    # (and --fix changes the tree between the fix and the judgement anyway).
    changed = git.changed_lines(root, ctx.base) if ctx.base is not None else None
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
        result = ruff_check.apply_fixes(
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
    outcomes = _dedupe_standards(outcomes)
    if changed is not None:
        outcomes = [_apply_base(o, changed) for o in outcomes]
    return _verdict(ctx, outcomes, changed_files, outside, fix=fix)


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
        thread = threading.Thread(target=work, args=(name, job), name=f"lint-format-{name}")
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
    from . import standards

    files = [ctx.relpath(str(p)) for p in ruff_check.list_files(ruff, ctx.root, ctx.remaining())]
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
    return standards.outcome(preset_run, files, ctx.root, max_lines, ctx.relpath)


def _key(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.path, f.line, f.column)


def _dedupe_standards(outcomes: list[Outcome]) -> list[Outcome]:
    """A rule both the project and the preset select is reported once, by ruff-check,
    naming the standard it also enforces."""
    by_name = {o.check.name: o for o in outcomes}
    lint = by_name.get(ruff_check.RUFF_CHECK)
    preset = by_name.get(STANDARDS_CHECK)
    if lint is None or preset is None or not preset.findings:
        return outcomes
    preset_keys = {_key(f): f for f in preset.findings}
    lint_findings = tuple(
        dataclasses.replace(f, data={**f.data, "standard": preset_keys[_key(f)].data["standard"]})
        if _key(f) in preset_keys
        else f
        for f in lint.findings
    )
    lint_keys = {_key(f) for f in lint.findings}
    kept = tuple(f for f in preset.findings if _key(f) not in lint_keys)
    new_lint = dataclasses.replace(lint, findings=lint_findings)
    new_preset = dataclasses.replace(
        preset,
        findings=kept,
        check=dataclasses.replace(
            preset.check,
            findings=len(kept),
            status=_status_of(preset.check, kept),
        ),
    )
    swap = {ruff_check.RUFF_CHECK: new_lint, STANDARDS_CHECK: new_preset}
    return [swap.get(o.check.name, o) for o in outcomes]


def _status_of(check: Check, findings: Sequence[Finding]) -> Status:
    if check.status in (Status.ERROR, Status.SKIPPED):
        return check.status
    return Status.FAIL if any(f.blocking for f in findings) else Status.PASS


def _touches(finding: Finding, changed: git.ChangedLines) -> bool:
    lines = finding.data.get("changed_lines")
    if finding.check == ruff_check.RUFF_FORMAT and isinstance(lines, list):
        return any(changed.contains(finding.path, n) for n in lines)
    if (
        finding.line is not None
        and finding.end_line is not None
        and finding.end_line > finding.line
    ):
        # A long function or multi-line diagnostic is new when any of its lines changed.
        span = range(finding.line, min(finding.end_line, finding.line + 10_000) + 1)
        return any(changed.contains(finding.path, n) for n in span)
    return changed.contains(finding.path, finding.line)


def _apply_base(outcome: Outcome, changed: git.ChangedLines) -> Outcome:
    """Findings off the changed lines become existing notes (original severity kept)."""
    if not outcome.findings:
        return outcome
    findings = tuple(
        f
        if _touches(f, changed)
        else dataclasses.replace(
            f,
            severity=Severity.NOTE,
            existing=True,
            data={**f.data, "severity": f.severity.value},
        )
        for f in outcome.findings
    )
    check = dataclasses.replace(outcome.check, status=_status_of(outcome.check, findings))
    return dataclasses.replace(outcome, findings=findings, check=check)


def _fix_command(ctx: GateContext) -> str:
    """The command that fixes this project, runnable from where the gate was run."""
    shown = os.path.relpath(ctx.root)
    target = "" if shown == "." else f" {shown if not shown.startswith('..') else ctx.root}"
    base = f" --base {ctx.base}" if ctx.base else ""
    return f"qualgate lint-format{target} --fix{base}"


def _verdict(
    ctx: GateContext,
    outcomes: Sequence[Outcome],
    changed_files: tuple[str, ...],
    outside: tuple[str, ...],
    *,
    fix: bool,
) -> Verdict:
    checks = tuple(o.check for o in outcomes)
    findings = tuple(f for o in outcomes for f in o.findings)
    status = derive_status(checks, findings)
    blocking = [f for f in findings if f.blocking]
    existing = [f for f in findings if f.existing]
    fixable = [f for f in blocking if f.fixable]
    next_steps: list[str] = []
    errors = [o for o in outcomes if o.check.status is Status.ERROR]
    if errors:
        summary = "; ".join(f"{o.check.name}: {o.data.get('reason')}" for o in errors)
        for o in errors:
            hint = o.data.get("hint")
            if hint and hint not in next_steps:
                next_steps.append(str(hint))
    elif blocking:
        summary = findings_summary(blocking)
        if fixable:
            summary += f" ({len(fixable)} fixable with --fix)"
    else:
        ran = [c.name for c in checks if c.status is Status.PASS]
        what = "no findings on changed lines" if existing else "no findings"
        summary = f"{what} ({', '.join(ran)})" if ran else "nothing was checked"
    for check in checks:
        if check.status is Status.SKIPPED and status is not Status.SKIPPED:
            summary += f"; {check.name} skipped: {check.summary}"
        elif check.status is Status.SKIPPED:
            summary = f"{check.name} skipped: {check.summary}"
    if existing and not errors:
        summary += f"; {plural(len(existing), 'existing finding')} before {ctx.base}"
    if fix and changed_files:
        summary += f"; --fix changed {plural(len(changed_files), 'file')}"
    if fixable and not errors:
        fixes = plural(len(fixable), "safe fix", "safe fixes")
        next_steps.append(f"run `{_fix_command(ctx)}` to apply {fixes}")
    for f in blocking:
        if f.check == mypy_check.MYPY:
            next_steps.append("fix the type errors mypy reports (they have no automatic fix)")
            break
    if outside:
        next_steps.append(
            f"--fix left {plural(len(outside), 'file')} alone: symlinked outside the project"
        )
    metrics: dict[str, Any] = {
        "findings": len(findings),
        "blocking": len(blocking),
        "fixable": len(fixable),
        "existing": len(existing),
        "files_with_findings": len({f.path for f in blocking if f.path}),
    }
    if fix:
        metrics["files_changed"] = list(changed_files)
        metrics["files_changed_count"] = len(changed_files)
        if outside:
            metrics["files_outside_project"] = list(outside)
    return Verdict(
        gate=ctx.gate,
        status=status,
        summary=summary,
        checks=checks,
        metrics=metrics,
        findings=findings,
        next_steps=tuple(next_steps),
    )
