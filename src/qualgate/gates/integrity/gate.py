"""The integrity gate: fail on what makes work look done without doing it.

It compares the change with its base (``--base``, else HEAD: the uncommitted work) and
reports new skip/xfail marks, deleted or emptied tests, fewer tests run, new suppression
comments, weaker tool configuration (read from git at the base) and edited gate wiring.
Each finding names its guard; ``allow = [{rule, path, reason}]`` allows one, as a note.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from qualgate import git
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates import GATES
from qualgate.gates.integrity import testcount
from qualgate.gates.integrity.allow import apply_allowances, parse_allow
from qualgate.gates.integrity.change import Change, Changed, changed_files, resolve_base
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

if TYPE_CHECKING:
    from pathlib import Path

    from qualgate.cache.inputs import Inputs

DEFAULT_TIMEOUT = 120.0
# The gate compares with its base itself (a deleted test has no changed line to sit on):
# the pipeline marks none of its findings existing.
BASE_SCOPED: frozenset[str] = frozenset()

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
# What git reads from the environment: itself on PATH, its variables, its configuration
# and global ignore file (under HOME or XDG_CONFIG_HOME).
GIT_ENV = ("PATH", "HOME", "XDG_CONFIG_HOME", "GIT_*")


def INPUTS(ctx: GateContext) -> Inputs:
    """What an answer depends on, for the result cache (`qualgate.cache.inputs`).

    Every file of the working tree (the guards read the changed files, and configuration
    and wrappers by name); git and its variables; the commit compared with (HEAD, or the
    one ``--base`` names, and the name shown); the files git counts as changed (renames,
    mode changes and ignore rules are git's to say); and what the test-count guard reads
    under the verdict folder and ``.qualgate/``, which no digest of the project covers:
    run-tests' counts, commit and cleanliness, whether that verdict is newer than every
    changed file, and the counts the ledger holds. `all` starts integrity only after
    run-tests, whose verdict it reads.
    """
    from qualgate.cache.inputs import Inputs

    after = ("run-tests",)
    try:
        resolved = resolve_base(ctx.root, ctx.base)
        if resolved is None:  # skipped: nothing to compare with, until a first commit
            return Inputs(
                env=GIT_ENV, tools=("git",), python=False, extra=("base=none",), after=after
            )
        base, shown = resolved
        files = changed_files(ctx.root, base)
    except GateError as exc:
        return Inputs(skip=f"git cannot say what changed: {exc.reason}", after=after)
    verdict = ctx.option("verdict-dir") / "run-tests.json"
    document = testcount.read_json(verdict)
    return Inputs(
        env=GIT_ENV,
        tools=("git",),
        python=False,
        extra=(
            # HEAD without --base; with it, the commit it names (HEAD is not compared).
            f"base={shown}={base}",
            f"changed={_digest([[f.old, f.new] for f in files])}",
            f"run-tests={_test_count_inputs(ctx.root, base, verdict, document, files)}",
        ),
        after=after,
    )


def _test_count_inputs(
    root: Path, base: str, verdict: Path, document: dict[str, object] | None, files: list[Changed]
) -> str:
    """What `testcount.test_count` reads beside the project's files, as one digest."""
    if document is None:
        return "absent"
    project = document.get("project")
    project = project if isinstance(project, dict) else {}
    commit = project.get("commit")
    ledger = testcount.ledger(root)
    read = {
        "executed": testcount.executed(document),
        "commit": commit,
        "dirty": project.get("dirty"),
        "fresh": testcount.fresh(verdict, [root / f.new for f in files if f.new]),
        "ledger_base": ledger.get(base),
        # What the run would remember (`harvest`): kept or lost, the next run knows.
        "ledger_commit": ledger.get(commit) if isinstance(commit, str) else None,
    }
    return _digest(read)


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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
