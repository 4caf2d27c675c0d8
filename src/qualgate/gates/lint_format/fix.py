"""``--fix``: the project's own fixers (ruff's safe fixes and ruff format, or isort and
black), on files inside the project only.

The files are the ones ruff itself would check (``ruff check --show-files``, so the
project's excludes hold); any whose real path leads out of the project root (a symlink)
is left alone and reported. Changed files are found by comparing content hashes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualgate import process
from qualgate.errors import GateError
from qualgate.verdict import Check, Status

from .ruff import PARSE_ERROR
from .tools import Outcome, Relpath, crash_reason, crashed

RUFF_FIX = "ruff-fix"
FORMAT_FIX = "ruff-format-fix"


def list_files(ruff: str, root: Path, timeout: float) -> list[Path]:
    """The files ruff would check (its own include/exclude rules), as absolute paths."""
    argv = (ruff, "check", "--show-files", ".")
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install ruff")
    if done.returncode != 0:
        raise GateError(crash_reason("ruff", done.stderr), "fix ruff's configuration, then rerun")
    files = []
    for line in done.stdout.splitlines():
        if line.strip():
            path = Path(line.strip())
            files.append(path if path.is_absolute() else root / path)
    return files


def split_inside(files: Sequence[Path], root: Path) -> tuple[list[Path], list[Path]]:
    """(inside, outside): a file is inside when its real path (symlinks resolved) is."""
    real_root = Path(os.path.realpath(root))
    inside: list[Path] = []
    outside: list[Path] = []
    for path in files:
        real = Path(os.path.realpath(path))
        (inside if real.is_relative_to(real_root) else outside).append(path)
    return inside, outside


def _digest(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class FixResult:
    outcomes: tuple[Outcome, ...]
    changed: tuple[str, ...]
    skipped_outside: tuple[str, ...]


def apply_fixes(
    ruff: str,
    root: Path,
    *,
    version: str | None,
    timeout: Callable[[], float],
    relpath: Relpath,
    lint: bool,
    fmt: bool,
    only: frozenset[str] | None,
    extra: Sequence[str] = (),
) -> FixResult:
    """Apply ruff's safe fixes and the formatter to files inside the project.

    Files are passed to ruff explicitly (with ``--force-exclude`` so the project's
    excludes still hold) once ruff's own file list is known: a symlink that leads out of
    the project is never written through, and with ``--base`` only changed files are
    touched.
    """
    files = list_files(ruff, root, timeout())
    inside, outside = split_inside(files, root)
    if only is not None:
        inside = [p for p in inside if relpath(str(p)) in only]
    before = {p: _digest(p) for p in inside}
    outcomes: list[Outcome] = []
    if inside:
        targets = ("--force-exclude", "--", *(relpath(str(p)) for p in inside))
        steps: list[tuple[str, tuple[str, ...]]] = []
        if lint:
            steps.append(
                (
                    RUFF_FIX,
                    (
                        ruff,
                        "check",
                        "--fix",
                        "--no-unsafe-fixes",
                        "--exit-zero",
                        "--quiet",
                        *extra,
                        *targets,
                    ),
                )
            )
        if fmt:
            steps.append((FORMAT_FIX, (ruff, "format", "--quiet", *extra, *targets)))
        for name, argv in steps:
            done = process.run(argv, cwd=root, timeout=timeout(), install_hint="pip install ruff")
            failed = done.returncode != 0 and not all(
                PARSE_ERROR.match(line.strip()) for line in done.stderr.splitlines() if line.strip()
            )
            if failed:
                reason = crash_reason("ruff", done.stderr)
                outcomes.append(crashed(name, argv, version, done.duration_ms, reason))
                continue
            outcomes.append(
                Outcome(
                    check=Check(
                        name=name,
                        status=Status.PASS,
                        duration_ms=done.duration_ms,
                        command=_short(argv, len(inside)),
                        tool_version=version,
                    )
                )
            )
    changed = sorted(relpath(str(p)) for p in inside if _digest(p) != before[p])
    return FixResult(
        outcomes=tuple(outcomes),
        changed=tuple(changed),
        skipped_outside=tuple(sorted(relpath(str(p)) for p in outside)),
    )


def _short(argv: tuple[str, ...], count: int) -> tuple[str, ...]:
    """The recorded command: the file list is summarised, a verdict is not a file dump."""
    head = argv[: argv.index("--") + 1]
    return (*head, f"<{count} files>") if count > 20 else argv


@dataclass(frozen=True, kw_only=True, slots=True)
class FormatterFix:
    """One of the project's own formatters, as ``--fix`` runs it: its check tells which
    files it would change; ``argv_prefix`` then rewrites exactly those."""

    name: str
    check: Callable[[], Outcome]
    argv_prefix: tuple[str, ...]
    version: str | None


def apply_formatters(
    steps: Sequence[FormatterFix],
    root: Path,
    *,
    timeout: Callable[[], float],
    relpath: Relpath,
    only: frozenset[str] | None,
) -> FixResult:
    """isort, then black (the order their projects use): each on the files its own
    ``--check --diff`` names, minus files linked out of the project (and, with
    ``--base``, files not changed)."""
    outcomes: list[Outcome] = []
    changed: set[str] = set()
    outside: set[str] = set()
    for step in steps:
        checked = step.check()
        if checked.check.status is Status.ERROR:
            outcomes.append(
                crashed(
                    step.name,
                    checked.check.command or step.argv_prefix,
                    step.version,
                    checked.check.duration_ms or 0,
                    checked.reason or "the formatter failed",
                )
            )
            continue
        wanted = sorted({f.path for f in checked.findings if f.fixable and f.path})
        inside, out = split_inside([root / p for p in wanted], root)
        outside.update(relpath(str(p)) for p in out)
        targets = [relpath(str(p)) for p in inside]
        if only is not None:
            targets = [p for p in targets if p in only]
        if not targets:
            continue
        before = {p: _digest(root / p) for p in targets}
        argv = (*step.argv_prefix, "--", *(f"./{p}" for p in targets))
        done = process.run(argv, cwd=root, timeout=timeout())
        if done.returncode != 0:
            reason = crash_reason(step.argv_prefix[-1], done.stderr)
            outcomes.append(crashed(step.name, argv, step.version, done.duration_ms, reason))
            continue
        changed.update(p for p in targets if _digest(root / p) != before[p])
        outcomes.append(
            Outcome(
                check=Check(
                    name=step.name,
                    status=Status.PASS,
                    duration_ms=done.duration_ms,
                    command=_short(argv, len(targets)),
                    tool_version=step.version,
                )
            )
        )
    return FixResult(
        outcomes=tuple(outcomes),
        changed=tuple(sorted(changed)),
        skipped_outside=tuple(sorted(outside)),
    )
