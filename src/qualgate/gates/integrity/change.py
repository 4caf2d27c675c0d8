"""The change the integrity guards judge: which files changed since the base, and their text
then and now.

The base text is read from git (``git show <base>:<path>``), never from the working tree,
so a configuration edited in place is compared with what it was, not with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qualgate import git, process
from qualgate.errors import GateError, ToolMissing, ToolTimeout
from qualgate.fsutil import ReadRefused, read_text_bounded
from qualgate.policy import SKIP_DIRS

# A source or config file larger than this is not parsed (a generated file, not a test).
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, kw_only=True, slots=True)
class Changed:
    """One file that differs from the base: ``old`` is its path at the base (None when it
    is new), ``new`` its path now (None when it was deleted)."""

    old: str | None
    new: str | None

    @property
    def path(self) -> str:
        return self.new or self.old or ""


@dataclass(kw_only=True)
class Change:
    """Everything changed under the project root since ``base`` (a commit id)."""

    root: Path
    base: str
    shown_base: str
    files: list[Changed]
    lines: git.ChangedLines
    _old: dict[str, str | None] = field(default_factory=dict)

    def old_text(self, path: str | None) -> str | None:
        """A file's text at the base (None when absent, binary-ish or too large)."""
        if path is None:
            return None
        if path not in self._old:
            done = _git(self.root, "show", f"{self.base}:./{path}")
            text = done.stdout if done.returncode == 0 else None
            if text is not None and (len(text) > MAX_FILE_BYTES or "\0" in text):
                text = None
            self._old[path] = text
        return self._old[path]

    def new_text(self, path: str | None) -> str | None:
        """A file's text in the working tree (None when absent, unreadable or too large)."""
        if path is None:
            return None
        try:
            text = read_text_bounded(self.root / path, MAX_FILE_BYTES, errors="replace")
        except (OSError, ReadRefused):
            return None
        return None if "\0" in text else text

    def current_text(self, path: str) -> str | None:
        """The text of a file now, changed or not (for files the guards look up by name)."""
        return self.new_text(path)

    def base_text(self, path: str) -> str | None:
        """The text of a file at the base, changed or not."""
        return self.old_text(path)


def _git(root: Path, *args: str) -> process.Completed:
    try:
        return process.run(["git", "-c", "core.quotePath=false", *args], cwd=root, timeout=120)
    except ToolMissing as exc:
        raise GateError(
            "the integrity gate needs git, which is not installed", "install git"
        ) from exc
    except ToolTimeout as exc:
        raise GateError("git did not answer within 120 s", "check the repository") from exc


def _skipped(path: str) -> bool:
    return any(part in SKIP_DIRS for part in path.split("/")[:-1])


def changed_files(root: Path, base: str) -> list[Changed]:
    """Files changed since ``base`` (renames paired), plus untracked ones, under ``root``."""
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.strip()
    done = _git(
        root,
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--name-status",
        "-z",
        "--find-renames",
        "--relative" if prefix else "--no-relative",
        base,
        "--",
        ".",
    )
    if done.returncode != 0:
        raise GateError(f"git diff against {base[:12]} failed", done.stderr.strip()[:200] or None)
    files: list[Changed] = []
    parts = done.stdout.split("\0")
    i = 0
    while i < len(parts) and parts[i]:
        status = parts[i]
        if status[:1] in ("R", "C") and i + 2 < len(parts):
            old, new = parts[i + 1], parts[i + 2]
            files.append(Changed(old=old if status[0] == "R" else None, new=new))
            i += 3
            continue
        path = parts[i + 1] if i + 1 < len(parts) else ""
        if status[:1] == "A":
            files.append(Changed(old=None, new=path))
        elif status[:1] == "D":
            files.append(Changed(old=path, new=None))
        else:
            files.append(Changed(old=path, new=path))
        i += 2
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    if untracked.returncode == 0:
        files += [Changed(old=None, new=p) for p in untracked.stdout.split("\0") if p.strip()]
    return [f for f in files if not _skipped(f.path)]


def resolve_base(root: Path, base: str | None) -> tuple[str, str] | None:
    """``(commit, shown)`` of the base to judge against: ``--base`` when given, else HEAD.

    None when there is nothing to compare with (no repository, or no commit yet).
    """
    if base is not None:
        return git.verify_ref(root, base), base
    head = git.head_commit(root)
    if head is None:
        return None
    return head, "HEAD"
