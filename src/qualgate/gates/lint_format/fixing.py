"""``--fix`` with the project's own fixers, and never more.

A ruff project: ruff's safe fixes (with the ``ruff`` check selected) and ``ruff format``
(with ``format``). A black/isort project: isort, then black, each only when selected.
flake8, pylint, mypy and pyright have no fixer; a project using only those gets no fix.
"""

from __future__ import annotations

from . import fix as fixer
from . import formatters
from .plan import Plan
from .tools import Outcome


def run_fixers(
    plan: Plan, selected: tuple[str, ...], only: frozenset[str] | None
) -> fixer.FixResult:
    ctx, root = plan.ctx, plan.root
    outcomes: list[Outcome] = []
    changed: set[str] = set()
    outside: set[str] = set()
    if plan.ruff is not None and {"ruff", "format"} & set(selected):
        ctx.progress("applying ruff's safe fixes and ruff format")
        result = fixer.apply_fixes(
            plan.ruff.prefix[0],
            root,
            version=plan.ruff.version,
            timeout=ctx.remaining,
            relpath=ctx.relpath,
            lint="ruff" in selected,
            fmt="format" in selected,
            only=only,
            extra=plan.ruff_extra,
        )
        outcomes.extend(result.outcomes)
        changed.update(result.changed)
        outside.update(result.skipped_outside)
    steps: list[fixer.FormatterFix] = []
    if "isort" in selected:
        isort = plan.python_tool("isort", "isort", "isort")
        steps.append(
            fixer.FormatterFix(
                name="isort-fix",
                check=lambda: formatters.run_isort(
                    isort,
                    root,
                    timeout=ctx.remaining(),
                    relpath=ctx.relpath,
                    targets=plan.targets("isort"),
                ),
                argv_prefix=(*isort.prefix, "--quiet"),
                version=isort.version,
            )
        )
    if "black" in selected:
        black = plan.python_tool("black", "black", "black")
        steps.append(
            fixer.FormatterFix(
                name="black-fix",
                check=lambda: formatters.run_black(
                    black,
                    root,
                    timeout=ctx.remaining(),
                    relpath=ctx.relpath,
                    targets=plan.targets("black"),
                ),
                argv_prefix=(*black.prefix, "--quiet"),
                version=black.version,
            )
        )
    if steps:
        ctx.progress("applying " + " and ".join(s.name.removesuffix("-fix") for s in steps))
        result = fixer.apply_formatters(
            steps, root, timeout=ctx.remaining, relpath=ctx.relpath, only=only
        )
        outcomes.extend(result.outcomes)
        changed.update(result.changed)
        outside.update(result.skipped_outside)
    return fixer.FixResult(
        outcomes=tuple(outcomes),
        changed=tuple(sorted(changed)),
        skipped_outside=tuple(sorted(outside)),
    )
