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

from qualgate.verdict import Finding, Severity, Threshold, Verdict

SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


def wanted(t: Threshold, at_least: str = ">=", at_most: str = "<=") -> str:
    """What a threshold asks for: ``>= 80``, ``<= 5``, both joined by "and"; "" for none."""
    bounds = (
        f"{at_least} {t.min:g}" if t.min is not None else "",
        f"{at_most} {t.max:g}" if t.max is not None else "",
    )
    return " and ".join(b for b in bounds if b)


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
# Bidirectional controls (Trojan Source): they reorder how text is displayed.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# An invisible WORD JOINER breaks a token a reader (the Actions runner, GitHub's markdown)
# would otherwise act on, without changing what a person sees.
JOINER = "\u2060"
# The Actions runner's old command syntax: acted on anywhere in a line of the log.
_OLD_COMMAND = "##["


def visible_controls(text: str) -> str:
    """Control characters (ANSI escapes, NUL...) as visible ``\\xNN`` text, and bidi
    controls as ``\\u202e``.

    Tool output can carry them; printed raw they recolour or rewrite a terminal or a CI
    log, hide what follows, or show code in another order than it runs. Tab, LF and CR
    are kept: each format handles line breaks.
    """
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def defuse_log_commands(text: str, *, keep_own: bool = False) -> str:
    """No line of ``text`` is a workflow command the GitHub Actions runner would run.

    The runner reads every line of a step's output: ``::name::`` at the start of a line
    (after spaces) and ``##[name]`` anywhere. Untrusted text (a file name, a message, a
    config key) must not form either. With ``keep_own`` (the github renderer), lines that
    already start with ``::`` are its own escaped annotations and are left alone.
    """
    out = []
    for line in text.split("\n"):
        line = line.replace(_OLD_COMMAND, "##" + JOINER + "[")
        stripped = line.lstrip()
        if stripped.startswith("::") and not keep_own:
            cut = len(line) - len(stripped)
            line = line[:cut] + ":" + JOINER + stripped[1:]
        out.append(line)
    return "\n".join(out)


def defuse_json(text: str) -> str:
    """JSON text with ``##[`` written as ``##\\u005b``: the same value once parsed."""
    return text.replace(_OLD_COMMAND, "##\\u005b")


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
