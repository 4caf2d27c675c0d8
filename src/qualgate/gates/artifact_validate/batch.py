"""Checking many Markdown artifacts: in worker processes when there are enough of them.

The per-file work (read, scan, YAML, schema, links) is independent from file to file,
so large trees are split into batches checked by forked workers, one per core; only the
duplicate-id check needs every file and runs afterwards in this process. Forking keeps
the loaded schemas and libraries without re-importing them. Where fork is unavailable,
or for small trees (where starting workers costs more than it saves), it runs inline.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualgate.errors import GateError
from qualgate.gates.artifact_validate.documents import MarkdownReport, check_files, duplicate_ids
from qualgate.gates.artifact_validate.types import TypeSet

# Below this many files one process is faster than starting workers.
PARALLEL_MIN = 2000


@dataclass(frozen=True, kw_only=True, slots=True)
class _Job:
    batches: Sequence[Sequence[str]]
    root: Path
    artifacts_dir: Path
    types: TypeSet
    relpath: Callable[[str], str]
    deadline: float | None


# Set just before the workers fork, read by them; never pickled.
_JOB: _Job | None = None


def _run_batch(index: int) -> MarkdownReport | tuple[str, str | None]:
    job = _JOB
    if job is None:  # pragma: no cover - only if a worker was not forked from us
        raise RuntimeError("artifact-validate worker started without a job")
    try:
        return check_files(
            job.batches[index],
            root=job.root,
            artifacts_dir=job.artifacts_dir,
            types=job.types,
            relpath=job.relpath,
            deadline=job.deadline,
        )
    except GateError as exc:
        # GateError's hint does not survive pickling: send both parts back as data.
        return (exc.reason, exc.hint)


def _worker_signals() -> None:
    """Workers die at once when the pool ends them: a forked worker inherits the run's
    SIGTERM handler (which raises in the main thread, so the run writes its verdict), and
    with it a worker ended while it holds the task queue's lock left the other one waiting
    on that lock forever, so the pool never finished (about one run in fifteen). Ctrl-C is
    the parent's to handle."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def workers_for(count: int, jobs: int) -> int:
    """How many worker processes to use (1 means inline)."""
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    if jobs == 0:
        if count < PARALLEL_MIN:
            return 1
        jobs = cores
    # More workers than cores never helps, and `jobs = 10000` in a repository's config must
    # not fork ten thousand processes.
    return max(1, min(jobs, count, 2 * cores))


def check_artifacts(
    files: Sequence[str],
    *,
    root: Path,
    artifacts_dir: Path,
    types: TypeSet,
    relpath: Callable[[str], str],
    jobs: int = 0,
    deadline: float | None = None,
) -> MarkdownReport:
    """Every Markdown rule on ``files``, including ids duplicated across them."""
    global _JOB
    workers = workers_for(len(files), jobs)
    if workers == 1:
        report = check_files(
            files,
            root=root,
            artifacts_dir=artifacts_dir,
            types=types,
            relpath=relpath,
            deadline=deadline,
        )
    else:
        size = -(-len(files) // workers)
        batches = [files[i : i + size] for i in range(0, len(files), size)]
        _JOB = _Job(
            batches=batches,
            root=root,
            artifacts_dir=artifacts_dir,
            types=types,
            relpath=relpath,
            deadline=deadline,
        )
        try:
            context = multiprocessing.get_context("fork")
            with context.Pool(processes=len(batches), initializer=_worker_signals) as pool:
                results = pool.map(_run_batch, range(len(batches)), chunksize=1)
        finally:
            _JOB = None
        report = MarkdownReport()
        for result in results:
            if isinstance(result, tuple):
                raise GateError(*result)
            report.merge(result)
    report.findings.extend(duplicate_ids(report.ids))
    return report
