"""Helpers the renderers share: the order findings are shown in, and repository paths.

Every renderer shows findings in the same order: findings that decide the status
(not ``existing``) first, then by severity, file, line and column. Annotation and
code-scanning paths must be relative to the *repository* root, which differs from the
project root when a project lives in a sub-folder of a monorepo; `repo_prefix` finds the
difference from the filesystem (no subprocess: renderers stay pure and fast).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qualgate.verdict import Finding, Severity, Verdict

SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


def order_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings on changed lines first, then errors, warnings, notes, then by location."""
    return sorted(
        findings,
        key=lambda f: (
            f.existing,
            SEVERITY_RANK[f.severity],
            f.path is None,
            f.path or "",
            f.line or 0,
            f.column or 0,
        ),
    )


# C0 and C1 control characters other than tab, LF and CR, and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def visible_controls(text: str) -> str:
    """Control characters (ANSI escapes, NUL...) as visible ``\\xNN`` text.

    Tool output can carry them; printed raw they recolour or rewrite a terminal or a CI
    log, or hide what follows. Tab, LF and CR are kept: each format handles line breaks.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def one_line(text: str) -> str:
    """``text`` with line breaks folded to spaces (for places that hold one line)."""
    return " ".join(text.split())


@dataclass(frozen=True, kw_only=True, slots=True)
class RepoRoot:
    """Where the project sits inside its repository.

    ``prefix`` is the project's folder relative to the repository root, with a trailing
    ``/`` (empty when the project is the repository root or no repository was found);
    ``path`` is the absolute repository root (the project root when there is no git
    repository), or None when the project root is not on this machine.
    """

    prefix: str = ""
    path: Path | None = None


def repo_root(verdict: Verdict) -> RepoRoot:
    """Locate the repository around ``verdict.project.root`` by looking for ``.git``.

    The verdict's root is relative to the working directory of the run that made it;
    renderers run in that same process, so resolving it here finds the same folder.
    """
    root = Path(verdict.project.root or ".")
    try:
        if not root.is_dir():
            return RepoRoot()
        root = root.resolve()
    except (OSError, RuntimeError):  # pragma: no cover - unreadable folder, symlink loop
        return RepoRoot()
    for candidate in (root, *root.parents):
        if (candidate / ".git").exists():
            rel = root.relative_to(candidate).as_posix()
            return RepoRoot(prefix="" if rel == "." else rel + "/", path=candidate)
    return RepoRoot(path=root)
