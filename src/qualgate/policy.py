"""Policies every gate shares, applied in one place: discovery skip-lists, GC pausing,
and judging findings against ``--base`` and against the baseline of known findings.

The run pipeline applies `mark_existing` once after a gate returns; gates only declare
which of their checks are judged by changed lines (`GateModule.BASE_SCOPED`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import threading
from collections.abc import Callable, Collection, Iterator

from qualgate.git import ChangedLines
from qualgate.verdict import Check, Finding, Status, Verdict, derive_status, plural

# Folders no gate searches when it discovers files on its own: environments, dependencies,
# builds, VCS and tool caches. A glob or path the user names explicitly still reaches them.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        ".tox",
        ".nox",
        "node_modules",
        "site-packages",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".qualgate",
        ".eggs",
        "build",
        "dist",
    }
)

# Every check of a gate is judged by changed lines (the default for a gate that declares
# nothing is the opposite: none are).
ALL_CHECKS: frozenset[str] = frozenset({"*"})

_gc_lock = threading.Lock()
_gc_depth = 0


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many small objects (parsing); nestable."""
    global _gc_depth
    with _gc_lock:
        _gc_depth += 1
        if _gc_depth == 1:
            was_enabled = gc.isenabled()
            gc.disable()
            _gc_state.append(was_enabled)
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_state.pop():
                gc.enable()


_gc_state: list[bool] = []

# A multi-line finding (a long function) is new when any of its first lines changed.
_SPAN_CAP = 10_000


def touches_change(finding: Finding, changed: ChangedLines) -> bool:
    """Whether a finding lies on code changed since the base.

    A finding without a path is about the whole project and always counts; one without
    a line counts when its file changed; a multi-line one when any of its lines did.
    """
    if finding.path is None:
        return True
    if finding.line is None:
        return changed.contains(finding.path, None)
    end = finding.end_line if finding.end_line and finding.end_line > finding.line else None
    if end is None:
        return changed.contains(finding.path, finding.line)
    last = min(end, finding.line + _SPAN_CAP)
    return any(changed.contains(finding.path, n) for n in range(finding.line, last + 1))


def mark_existing(verdict: Verdict, changed: ChangedLines, scoped: Collection[str]) -> Verdict:
    """Findings of the ``scoped`` checks that lie off the change become ``existing``.

    Existing findings keep their severity and are reported, but decide nothing: a check
    (and the verdict) that failed only on them passes, and the summary says so.
    """
    everything = "*" in scoped

    def off_change(f: Finding) -> bool:
        return (everything or (f.check or "") in scoped) and not touches_change(f, changed)

    def note(_newly: int, existing: int) -> str:
        return f"{plural(existing, 'existing finding')} before {changed.base}"

    return mark(verdict, off_change, note, f"since {changed.base}")


def mark_baselined(verdict: Verdict, fingerprints: Collection[str]) -> Verdict:
    """Findings whose fingerprint is in the baseline become ``existing`` (wherever they
    are); any other finding still decides, even on a line nobody touched."""
    known = frozenset(fingerprints)

    def baselined(f: Finding) -> bool:
        return f.fingerprint is not None and f.fingerprint in known

    def note(newly: int, _existing: int) -> str:
        return f"{plural(newly, 'baselined finding')}"

    return mark(verdict, baselined, note, "beyond the baseline")


def mark(
    verdict: Verdict,
    predicate: Callable[[Finding], bool],
    note: Callable[[int, int], str],
    scope: str,
) -> Verdict:
    """Mark the findings ``predicate`` selects as existing, and re-judge the verdict.

    ``note(newly, existing)`` is added to the summary; ``scope`` completes "no new errors
    <scope>" when the verdict failed only on what is now existing.
    """
    findings = tuple(
        dataclasses.replace(f, existing=True) if not f.existing and predicate(f) else f
        for f in verdict.findings
    )
    newly = sum(1 for old, new in zip(verdict.findings, findings, strict=True) if new is not old)
    if not newly:
        return verdict
    checks = tuple(_recheck(c, verdict.findings, findings) for c in verdict.checks)
    status = verdict.status
    if status is Status.FAIL:
        status = derive_status(checks, findings, verdict.thresholds)
    existing = sum(1 for f in findings if f.existing)
    text = note(newly, existing)
    if verdict.status is Status.FAIL and status is not Status.FAIL:
        summary = f"no new errors {scope}; {text}"
    else:
        summary = f"{verdict.summary}; {text}"
    metrics = dict(verdict.metrics)
    if "existing" in metrics:
        metrics["existing"] = existing
    if "blocking" in metrics:
        metrics["blocking"] = sum(1 for f in findings if f.blocking)
    return verdict.replace(
        findings=findings, checks=checks, status=status, summary=summary, metrics=metrics
    )


def _recheck(check: Check, before: tuple[Finding, ...], after: tuple[Finding, ...]) -> Check:
    """A check that failed only on findings now existing passes."""
    if check.status is not Status.FAIL:
        return check
    mine_before = [f for f in before if f.check == check.name and f.blocking]
    mine_after = [f for f in after if f.check == check.name and f.blocking]
    if mine_before and not mine_after:
        return dataclasses.replace(check, status=Status.PASS)
    return check
