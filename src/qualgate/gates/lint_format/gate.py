"""The lint-format gate: the project's own linters, formatters and type checkers.

Which tools run is the project's choice (`toolchain`): ruff, or black + isort + flake8,
pylint, mypy, pyright, each from the project's environment (`env`) through its
machine-readable output. ruff + ruff format + mypy run only when the project configures
nothing. The checks run at once (`schedule`) and are assembled in a fixed order.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from qualgate import policy, pyenv
from qualgate.context import GateContext
from qualgate.options import Kind, Option
from qualgate.verdict import Status, Verdict

if TYPE_CHECKING:
    from qualgate.cache.inputs import Inputs

    from .plan import Plan

# The tools' modules (toolchain alone brings packaging and YAML) load in `run`, not here:
# `--help`, `qualgate config` and an answer from the result cache never need them.
DEFAULT_TIMEOUT = 600.0
# `toolchain.CHECKS` and `judge.STANDARDS_CHECK`, without importing them (a test keeps
# them equal).
CHECK_NAMES = ("ruff", "format", "flake8", "pylint", "black", "isort", "mypy", "pyright")
STANDARDS_CHECK = "standards"
PRESETS = ("none", "standards")
# Every check's findings are judged by the lines changed since --base.
BASE_SCOPED = policy.ALL_CHECKS


def _order() -> tuple[str, ...]:
    """The order of the checks in the verdict, whichever finished first."""
    from . import flake8, formatters, pylint, pyright
    from . import mypy as mypy_check
    from . import ruff as ruff_check

    return (
        ruff_check.RUFF_CHECK,
        ruff_check.RUFF_FORMAT,
        flake8.FLAKE8,
        pylint.PYLINT,
        formatters.BLACK_CHECK,
        formatters.ISORT_CHECK,
        mypy_check.MYPY,
        pyright.PYRIGHT,
        STANDARDS_CHECK,
    )


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
    from .rules import RULES

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
        default=None,
        validate=_valid_checks,
        metavar=",".join(CHECK_NAMES),
        expects=f"a list of {', '.join(CHECK_NAMES)}",
        help=(
            "Which checks to run (default: the tools the project configures; ruff, format "
            "and mypy when it configures none)."
        ),
    ),
    Option(
        name="fix",
        kind=Kind.BOOL,
        default=False,
        help="Apply the project's own fixers (ruff, or isort + black), then report what remains.",
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
    pyenv.python_option("whose tools run", cli_only=True, trusted=True),
    Option(
        name="ruff",
        kind=Kind.PATH,
        metavar="RUFF",
        cli_only=True,
        help=(
            "The ruff executable (default: the project's environment's, then qualgate's, "
            "then PATH). Command line or environment only."
        ),
    ),
    Option(
        name="list-standards",
        kind=Kind.BOOL,
        action=_describe_standards,
        help="List the rules of the standards preset and exit.",
    ),
)


# What linters, formatters and type checkers read: code, and their configuration.
LINT_CONFIGS = (
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    ".flake8",
    ".pylintrc",
    "pylintrc",
    "mypy.ini",
    ".mypy.ini",
    "ruff.toml",
    ".ruff.toml",
    "pyrightconfig.json",
    ".isort.cfg",
    ".editorconfig",
)
LINT_FILES = (
    "**/*.py",
    "**/*.pyi",
    "**/*.ipynb",
    "**/py.typed",
    "**/.gitignore",
    "**/.ignore",
    "qualgate.toml",
    *(f"**/{name}" for name in LINT_CONFIGS),
)


def INPUTS(ctx: GateContext) -> Inputs:
    """What an answer depends on, for the result cache (`qualgate.cache.inputs`): the code
    and the tools' configuration (in the project, above it, in the user's config folder),
    the tools themselves; ``--fix`` is never answered from the cache."""
    from qualgate.cache.inputs import Inputs, parents_of, user_config

    fix = bool(ctx.option("fix"))
    ruff = ctx.option("ruff")
    return Inputs(
        files=LINT_FILES,
        outside=(
            *parents_of(ctx, LINT_CONFIGS),
            *user_config("ruff/ruff.toml", "ruff/pyproject.toml", "ruff/.ruff.toml"),
            *user_config("mypy/config", "pycodestyle", "flake8", "pylintrc", "black"),
            str(Path.home() / ".mypy.ini"),
            str(Path.home() / ".pylintrc"),
        ),
        env=("PATH", "VIRTUAL_ENV", "PYTHON*", "MYPY*", "RUFF_*", "FLAKE8*", "PYLINT*"),
        tools=(
            *((str(ruff),) if ruff else ()),
            "ruff",
            "mypy",
            "black",
            "isort",
            "flake8",
            "pylint",
            "pyright",
        ),
        skip="--fix changes the project's files" if fix else None,
        exclusive=fix,
    )


def _has_python(root: Path) -> bool:
    """Whether there is any Python file to check (virtualenvs and hidden dirs aside)."""
    import os

    for _current, dirs, files in os.walk(root):
        # Beyond the shared skip-list, any hidden folder (.direnv, .pants.d, ...): tool
        # state, whose Python files alone must not make the gate run.
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in policy.SKIP_DIRS]
        if any(f.endswith((".py", ".pyi", ".ipynb")) for f in files):
            return True
    return False


def run(ctx: GateContext) -> Verdict:
    """Run the project's checks (and its fixers, with --fix) and judge their findings."""
    from . import env as environment
    from . import mypy as mypy_check
    from . import pyright, schedule, target, toolchain
    from .judge import build_verdict, dedupe_standards
    from .plan import Plan, jobs
    from .projectfiles import ProjectFiles
    from .tools import Outcome, find_ruff

    root = ctx.root
    preset: str = ctx.option("preset")
    fix: bool = ctx.option("fix")
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
    files = ProjectFiles(root)
    chain = toolchain.detect(files)
    chosen: tuple[str, ...] | None = ctx.option("checks")
    selected = chosen if chosen else chain.checks
    env = environment.resolve(root, ctx.option("python"))
    plan = Plan(ctx=ctx, files=files, chain=chain, env=env)
    needs_ruff = {"ruff", "format"} & set(selected) or use_standards
    if needs_ruff:
        plan.ruff = find_ruff(root, ctx.option("ruff"), env)
        if "ruff" in selected or "format" in selected:
            plan.note_pin("ruff", plan.ruff)
        inferred = None if target.ruff_has_target(files) else target.infer(files)
        if inferred is not None:
            plan.ruff_extra = ("--target-version", inferred[0])

    outcomes: list[Outcome] = []
    changed_files: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()
    scope = changed.files if changed is not None else None
    if fix:
        from .fixing import run_fixers

        result = run_fixers(plan, selected, scope)
        outcomes.extend(result.outcomes)
        changed_files, outside = result.changed, result.skipped_outside

    check_jobs = jobs(plan, selected, ruff_reports_syntax="ruff" in selected)
    if use_standards:
        from .standards_run import standards_job

        check_jobs[STANDARDS_CHECK] = standards_job(plan)
    ctx.progress(f"running {', '.join(check_jobs)}")
    foreground = [n for n in (mypy_check.MYPY, pyright.PYRIGHT) if n in check_jobs][:1]
    outcomes.extend(schedule.run_all(check_jobs, _order(), foreground=foreground))
    outcomes = dedupe_standards(outcomes)
    verdict = build_verdict(
        ctx,
        outcomes,
        changed_files,
        outside,
        fix=fix,
        fix_scope=scope,
        notes=plan.notes,
        secrets=plan.secret_values,
    )
    return _with_context(verdict, plan, chosen is not None)


def _with_context(verdict: Verdict, plan: Plan, chosen: bool) -> Verdict:
    """Say which toolchain ran, and why: detected, chosen, or the default."""
    chain = plan.chain
    metrics = dict(verdict.metrics)
    metrics["toolchain"] = {
        "source": "--checks" if chosen else ("detected" if chain.detected else "default"),
        "evidence": {k: list(v) for k, v in chain.evidence.items()},
    }
    if plan.ruff_extra:
        metrics["python_target"] = plan.ruff_extra[-1]
    environment_info: dict[str, object] = {
        "python": plan.ctx.relpath(plan.env.python) if plan.env.own else "qualgate's",
    }
    next_steps = list(verdict.next_steps)
    if plan.env.refused:
        environment_info["refused"] = list(plan.env.refused)
        next_steps.extend(plan.env.refused)
    metrics["environment"] = environment_info
    return dataclasses.replace(verdict, metrics=metrics, next_steps=tuple(next_steps))
