"""The envelope of a verdict (tool, timing, project, fingerprints) and the policies applied
to every finished answer: the baseline, ``--require``, secret masking."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence
from pathlib import Path

from qualgate import __version__, process
from qualgate import baseline as baselines
from qualgate.errors import GateError
from qualgate.fingerprint import add_fingerprints
from qualgate.redact import mask
from qualgate.verdict import Project, Status, Tool, Verdict


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
    baseline: baselines.Baseline | None = None,
    project: Project | None = None,
) -> Verdict:
    """Add the envelope (tool, timing, project, fingerprints), apply the baseline and
    ``--require``, mask. ``project``, or the one the verdict carries (``all`` asks git
    once for every gate), spares asking git again."""
    # Fingerprints first: they hash the text as the gate reported it.
    verdict = verdict.replace(findings=add_fingerprints(verdict.gate, verdict.findings, root))
    verdict = baselines.apply(verdict, baseline)
    if require and verdict.status is Status.SKIPPED:
        verdict = verdict.replace(
            status=Status.FAIL, summary=f"required but skipped: {verdict.summary}"
        )
    verdict = masked(verdict.replace(reproduce=verdict.reproduce or reproduce), secrets)
    return verdict.replace(
        tool=Tool(name="qualgate", version=__version__),
        started_at=started_at,
        duration_ms=int((time.monotonic() - t0) * 1000),
        project=project or _known(verdict.project, base) or project_info(root, base),
    )


def masked(verdict: Verdict, secrets: Sequence[str]) -> Verdict:
    """Every text of the verdict with ``secrets`` (and URL passwords) masked."""

    def hide(text: str) -> str:
        return mask(text, secrets)

    return verdict.replace(
        summary=hide(verdict.summary or verdict.status.value),
        next_steps=tuple(hide(s) for s in verdict.next_steps),
        checks=tuple(
            dataclasses.replace(
                c,
                command=tuple(hide(a) for a in c.command) if c.command else c.command,
                summary=hide(c.summary) if c.summary else c.summary,
            )
            for c in verdict.checks
        ),
        findings=tuple(dataclasses.replace(f, message=hide(f.message)) for f in verdict.findings),
        reproduce=hide(verdict.reproduce),
    )


def _known(project: Project, base: str | None) -> Project | None:
    """A project block already filled in for this base (commit or dirtiness known)."""
    if project.base == base and (project.commit is not None or project.dirty is not None):
        return project
    return None


def project_info(root: Path, base: str | None) -> Project:
    """The verdict's project block: the root as shown, HEAD's commit and whether tracked
    files under the root differ from it, from one ``git status`` (a replayed answer costs
    milliseconds; two git processes would be most of them)."""
    try:
        shown = os.path.relpath(root)
    except ValueError:  # pragma: no cover - Windows drives
        shown = str(root)
    if shown.startswith(".."):
        shown = str(root)
    commit, dirty = _head_and_dirty(root)
    return Project(root=Path(shown).as_posix(), commit=commit, dirty=dirty, base=base)


def _head_and_dirty(root: Path) -> tuple[str | None, bool | None]:
    argv = ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no", "--", "."]
    try:
        done = process.run(argv, cwd=root, timeout=60)
    except GateError:  # git missing or hung
        return None, None
    if done.returncode != 0:
        return None, None
    commit = None
    dirty = False
    for line in done.stdout.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.removeprefix("# branch.oid ").strip()
            commit = oid if oid != "(initial)" else None
        elif line and not line.startswith("#"):
            dirty = True
    return commit, dirty
