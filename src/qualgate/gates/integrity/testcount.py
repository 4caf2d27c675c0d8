"""The test-count guard: fewer tests ran than at the base, though no test file changed.

How many tests ran at a commit comes from run-tests verdicts: a verdict of a clean working
tree (``project.dirty`` false) is remembered in a small ledger under ``.qualgate/`` keyed by
its commit (and the agent hook remembers one for a session's base snapshot). The current
count is the run-tests verdict file, used only when it is newer than every changed file,
so a stale verdict never decides. Without both numbers the check says why it did not judge.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qualgate.fsutil import ReadRefused, escapes_root, read_text_bounded, write_atomic
from qualgate.gates.integrity.change import Change
from qualgate.gates.integrity.pyguards import matches
from qualgate.gates.integrity.rules import RULES
from qualgate.verdict import Check, Finding, Status, plural

LEDGER = Path(".qualgate") / "integrity" / "tests-run.json"
MAX_ENTRIES = 200
_RAN = ("passed", "failed", "errors", "xfailed", "xpassed")


def executed(document: Mapping[str, Any]) -> int | None:
    """Tests that ran (not skipped, not deselected) according to a run-tests verdict; None
    when it does not say (an ``error`` verdict, or one cut short by collection errors, is
    no count: recorded as 0 it would switch the fewer-tests check off for that commit)."""
    metrics = document.get("metrics")
    if document.get("gate") != "run-tests" or not isinstance(metrics, dict):
        return None
    if document.get("status") == "error" or "passed" not in metrics:
        return None
    if metrics.get("collection_errors"):
        return None
    counts = [metrics.get(key, 0) for key in _RAN]
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
        return None
    return sum(int(c) for c in counts)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(read_text_bounded(path, 8 * 1024 * 1024))
    except (OSError, ReadRefused, ValueError):
        return None
    return data if isinstance(data, dict) else None


def ledger(root: Path) -> dict[str, Any]:
    return read_json(root / LEDGER) or {}


def _store(root: Path, commit: str, count: int) -> None:
    entries = ledger(root)
    if entries.get(commit) == count:
        return
    entries[commit] = count
    while len(entries) > MAX_ENTRIES:
        entries.pop(next(iter(entries)))
    path = root / LEDGER
    if not escapes_root(path, root):
        write_atomic(path, json.dumps(entries, indent=1) + "\n")


def harvest(root: Path, verdict_dir: Path) -> None:
    """Remember the test count of a run-tests verdict made on a clean commit."""
    document = read_json(verdict_dir / "run-tests.json")
    if document is None:
        return
    project = document.get("project") or {}
    count = executed(document)
    commit = project.get("commit") if isinstance(project, dict) else None
    if count is not None and isinstance(commit, str) and project.get("dirty") is False:
        with contextlib.suppress(OSError):
            _store(root, commit, count)


def remember(root: Path, key: str, head: str, verdict_dir: Path, changed: Sequence[Path]) -> bool:
    """Record the current run-tests count under ``key`` (a session's base snapshot) when the
    verdict was made at ``head`` and is newer than every file in ``changed`` (the files that
    differ from ``head``). Returns whether it was recorded."""
    path = verdict_dir / "run-tests.json"
    document = read_json(path)
    if document is None or not fresh(path, changed):
        return False
    project = document.get("project") or {}
    count = executed(document)
    if count is None or not isinstance(project, dict) or project.get("commit") != head:
        return False
    try:
        _store(root, key, count)
    except OSError:
        return False
    return True


def fresh(verdict: Path, files: Sequence[Path]) -> bool:
    try:
        stamp = verdict.stat().st_mtime
    except OSError:
        return False
    for file in files:
        try:
            if os.lstat(file).st_mtime > stamp:
                return False
        except OSError:
            continue
    return True


def test_count(
    change: Change, verdict_dir: Path, test_globs: Sequence[str]
) -> tuple[Check, list[Finding]]:
    harvest(change.root, verdict_dir)

    def skipped(why: str) -> tuple[Check, list[Finding]]:
        return Check(name="test-count", status=Status.SKIPPED, summary=why), []

    modules = [
        f.path
        for f in change.files
        if matches(f.path, test_globs) and not f.path.endswith("conftest.py")
    ]
    if modules:
        return skipped(f"{plural(len(modules), 'test file')} changed; the test guards judge them")
    base_count = ledger(change.root).get(change.base)
    if not isinstance(base_count, int):
        return skipped(f"no run-tests result is recorded for {change.shown_base}")
    path = verdict_dir / "run-tests.json"
    document = read_json(path)
    changed = [change.root / f.new for f in change.files if f.new]
    if document is None or not fresh(path, changed):
        return skipped("no run-tests verdict newer than the change (run-tests before integrity)")
    project = document.get("project") or {}
    if project.get("commit") == change.base and project.get("dirty") is False:
        return skipped("the run-tests verdict is of the base itself")
    now = executed(document)
    if now is None:
        return skipped("the run-tests verdict has no test counts")
    findings: list[Finding] = []
    if now < base_count:
        findings.append(
            RULES.finding(
                "fewer-tests",
                f"{plural(base_count, 'test')} ran at {change.shown_base}, {now} now, "
                "and no test file changed",
                check="test-count",
                data={"base": base_count, "now": now},
            )
        )
    status = Status.FAIL if findings else Status.PASS
    summary = f"{now} tests ran ({base_count} at {change.shown_base})"
    return Check(
        name="test-count", status=status, findings=len(findings), summary=summary
    ), findings
