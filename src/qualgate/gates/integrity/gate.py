"""The integrity gate: fail on what makes work look done without doing it.

It compares the change with its base (``--base``, else HEAD: the uncommitted work) and
reports new skip/xfail marks, deleted or emptied tests, fewer tests run, new suppression
comments, weaker tool configuration (read from git at the base) and edited gate wiring.
Each finding names its guard; ``allow = [{rule, path, reason}]`` allows one, as a note.
"""

from __future__ import annotations

from qualgate import git
from qualgate.cache.inputs import Inputs
from qualgate.context import GateContext
from qualgate.gates import GATES
from qualgate.gates.integrity.allow import apply_allowances, parse_allow
from qualgate.gates.integrity.change import Change, changed_files, resolve_base
from qualgate.gates.integrity.configguards import config_guards
from qualgate.gates.integrity.pyguards import python_guards, test_guards
from qualgate.gates.integrity.testcount import test_count
from qualgate.gates.integrity.wiring import wiring_guards
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

DEFAULT_TIMEOUT = 120.0
# The gate compares with its base itself (a deleted test has no changed line to sit on):
# the pipeline marks none of its findings existing.
BASE_SCOPED: frozenset[str] = frozenset()
# Never answered from the result cache: the answer depends on git history (the base, and
# HEAD when no --base is given) and on run-tests' verdict under .qualgate/, which no digest
# of the working tree covers. The gate takes tens of milliseconds anyway.
INPUTS = Inputs(skip="integrity compares with git history and run-tests' last verdict")

TEST_GLOBS = ("test_*.py", "*_test.py", "tests/**/*.py", "test/**/*.py", "conftest.py")
WRAPPERS = (
    *sorted({info.wrapper for info in GATES.values()}),
    "tools/ci/agent-hook.sh",
    ".github/workflows/qualgate.yml",
)

OPTIONS = (
    Option(
        name="allow",
        kind=Kind.JSON,
        default=(),
        validate=parse_allow,
        expects="a list of {rule, path, reason} tables",
        help='Allowed findings, each with a reason: [{rule = "new-noqa", path = "src/x.py", '
        'reason = "..."}]. Reported as notes.',
    ),
    Option(
        name="tests",
        kind=Kind.LIST,
        default=TEST_GLOBS,
        help="Globs of test files (names without '/' match the file name).",
    ),
    Option(
        name="wrappers",
        kind=Kind.LIST,
        default=WRAPPERS,
        help="Globs of the wiring that proves done (gate wrappers, the CI workflow).",
    ),
)

_CHECKS = ("skip-marks", "tests", "test-count", "suppressions", "config", "wiring")


def run(ctx: GateContext) -> Verdict:
    resolved = resolve_base(ctx.root, ctx.base)
    if resolved is None:
        return Verdict(
            gate=ctx.gate,
            status=Status.SKIPPED,
            summary="nothing to compare with: not a git repository, or no commit yet "
            "(integrity judges a change against its base)",
        )
    base, shown = resolved
    lines = ctx.changed_lines() if ctx.base is not None else None
    change = Change(
        root=ctx.root,
        base=base,
        shown_base=shown,
        files=changed_files(ctx.root, base),
        lines=lines or git.changed_lines(ctx.root, base),
    )
    tests = tuple(ctx.option("tests"))
    skips, quiet = python_guards(change)
    found: dict[str, list[Finding]] = {
        "skip-marks": skips,
        "tests": test_guards(change, tests),
        "suppressions": quiet,
        "config": config_guards(change),
        "wiring": wiring_guards(change, tuple(ctx.option("wrappers"))),
    }
    count_check, found["test-count"] = test_count(change, ctx.option("verdict-dir"), tests)
    allowances = ctx.option("allow") or ()
    checks: list[Check] = []
    findings: list[Finding] = []
    for name in _CHECKS:
        mine = apply_allowances(found[name], allowances)
        findings += mine
        if name == "test-count":
            checks.append(count_check)
            continue
        blocking = sum(1 for f in mine if f.severity is Severity.ERROR)
        checks.append(Check(name=name, status=derive_status(findings=mine), findings=blocking))
    allowed = sum(1 for f in findings if "allowed" in f.data)
    status = derive_status(checks, findings)
    return Verdict(
        gate=ctx.gate,
        status=status,
        summary=_summary(status, findings, allowed, len(change.files), shown),
        checks=tuple(checks),
        findings=tuple(findings),
        metrics={"files_changed": len(change.files), "allowed": allowed, "base": shown},
        next_steps=_next_steps(status),
    )


def _summary(status: Status, findings: list[Finding], allowed: int, files: int, shown: str) -> str:
    if not files:
        return f"nothing changed since {shown}"
    blocking = [f for f in findings if f.severity is Severity.ERROR]
    note = f"; {plural(allowed, 'allowance')} reported as notes" if allowed else ""
    if status is Status.FAIL:
        return f"{findings_summary(blocking)} weaken the checks since {shown}{note}"
    return f"{plural(files, 'changed file')} since {shown}, none weakens the checks{note}"


def _next_steps(status: Status) -> tuple[str, ...]:
    if status is not Status.FAIL:
        return ()
    return (
        "undo what the findings name (restore the test, the threshold, the wrapper; remove "
        "the skip or suppression and fix the cause)",
        "if a change is right, allow it with a reason: [tool.qualgate.integrity] allow = "
        '[{rule = "<rule>", path = "<path>", reason = "<why>"}]',
    )
