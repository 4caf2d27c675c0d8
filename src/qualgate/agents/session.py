"""An agent session's base and the hook's memory between calls.

When a session starts, the working tree is recorded as a commit object built in a
temporary index (the user's index, branch and stash are not touched): HEAD plus every
tracked file as it is on disk, so "what this agent changed" is exact even when nothing is
committed. It is kept alive by ``refs/qualgate/sessions/<key>``, and
``refs/qualgate/session`` names the latest one (what ``--base session`` judges against).

The hook's memory (the base, the blocks in a row and what they were about) lives in
``.qualgate/agents/<key>.json``: a hook is a new process at every call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.errors import GateError
from qualgate.fsutil import ReadRefused, escapes_root, read_text_bounded, write_atomic
from qualgate.policy import SKIP_DIRS

STATE_DIR = Path(".qualgate") / "agents"
SESSION_REF = "refs/qualgate/session"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "qualgate",
    "GIT_AUTHOR_EMAIL": "qualgate@localhost",
    "GIT_COMMITTER_NAME": "qualgate",
    "GIT_COMMITTER_EMAIL": "qualgate@localhost",
}


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> process.Completed | None:
    try:
        return process.run(
            ["git", "-c", "core.quotePath=false", *args], cwd=root, timeout=60, env=env
        )
    except GateError:  # git missing or hung: no session base, the hook says so
        return None


def _out(done: process.Completed | None) -> str | None:
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def key_of(session_id: str | None) -> str:
    """A file- and ref-safe name for a session id (ids come from the agent: untrusted)."""
    if not session_id:
        return "default"
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()[:20]


def head(root: Path) -> str | None:
    return _out(_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"))


def snapshot(root: Path) -> str | None:
    """A commit of the working tree as it is (tracked files), or HEAD when it is clean.

    None outside a git repository.
    """
    top = _out(_git(root, "rev-parse", "--show-toplevel"))
    index = _out(_git(root, "rev-parse", "--git-path", "index"))
    if top is None or index is None:
        return None
    parent = head(root)
    with tempfile.TemporaryDirectory(prefix="qualgate-index-") as tmp:
        temp_index = Path(tmp) / "index"
        source = Path(index) if Path(index).is_absolute() else root / index
        if source.is_file():
            shutil.copyfile(source, temp_index)
        env = {"GIT_INDEX_FILE": str(temp_index), **_IDENTITY}
        if _git(Path(top), "add", "--update", "--", ".", env=env) is None:
            return None
        tree = _out(_git(Path(top), "write-tree", env=env))
    if tree is None:
        return None
    if parent is not None and tree == _out(_git(root, "rev-parse", f"{parent}^{{tree}}")):
        return parent
    argv = ["commit-tree", tree, "-m", "qualgate: agent session base"]
    if parent is not None:
        argv[2:2] = ["-p", parent]
    return _out(_git(root, *argv, env=_IDENTITY))


def keep(root: Path, key: str, commit: str) -> None:
    """Keep the base alive under its session's ref and name it the latest session base."""
    _git(root, "update-ref", f"refs/qualgate/sessions/{key}", commit)
    _git(root, "update-ref", SESSION_REF, commit)


def changed_since(root: Path, base: str) -> list[str]:
    """Project-relative files that differ from ``base`` now (deleted ones included), plus
    untracked ones."""
    prefix = _out(_git(root, "rev-parse", "--show-prefix")) or ""
    diff = _git(
        root,
        "diff",
        "--name-only",
        "-z",
        "--no-ext-diff",
        "--no-textconv",
        "--relative" if prefix else "--no-relative",
        base,
        "--",
        ".",
    )
    if diff is None or diff.returncode != 0:
        raise GateError(
            f"git diff against the session base {base[:12]} failed",
            "the base may have been garbage-collected; start a new agent session",
        )
    names = [p for p in diff.stdout.split("\0") if p]
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    if untracked is not None and untracked.returncode == 0:
        names += [p for p in untracked.stdout.split("\0") if p]
    return sorted(n for n in set(names) if not SKIP_DIRS & set(n.split("/")[:-1]))


@dataclass(kw_only=True)
class State:
    """What the hook remembers of one session."""

    base: str | None = None
    # "snapshot" (recorded at session start) or "head" (first seen later: HEAD, so work done
    # before the hook first ran still counts as changed).
    base_kind: str = ""
    # Blocks in a row with the same findings, and what they were.
    streak: int = 0
    last: list[str] = field(default_factory=list)
    # An error verdict blocked once this turn; the next stop lets the turn end.
    error_blocked: bool = False
    # Findings already reported after a tool use (reported once).
    told: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path, key: str) -> State:
        path = root / STATE_DIR / f"{key}.json"
        try:
            data = json.loads(read_text_bounded(path, 1024 * 1024))
        except (OSError, ReadRefused, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        # The file is in the working tree: anything may have written it. Wrong shapes are
        # dropped, never trusted.
        base = data.get("base")
        return cls(
            base=base if isinstance(base, str) and _COMMIT.fullmatch(base) else None,
            base_kind=str(data.get("base_kind")) if data.get("base_kind") in _KINDS else "",
            streak=_int(data.get("streak")),
            last=_strings(data.get("last")),
            error_blocked=data.get("error_blocked") is True,
            told=_strings(data.get("told")),
        )

    def save(self, root: Path, key: str) -> None:
        path = root / STATE_DIR / f"{key}.json"
        if escapes_root(path, root):
            return
        self.told = self.told[-500:]
        with contextlib.suppress(OSError):
            write_atomic(path, json.dumps(dataclasses.asdict(self), indent=1) + "\n")


_KINDS = ("snapshot", "head")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str)][:1000]


def resolve_session_ref(root: Path) -> str | None:
    """The commit ``--base session`` names (None when no session was recorded)."""
    return _out(_git(root, "rev-parse", "--verify", "--quiet", f"{SESSION_REF}^{{commit}}"))


def files_differing_from_head(root: Path) -> list[Path]:
    """Absolute paths of files that differ from HEAD (for judging a verdict's freshness)."""
    done = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    if done is None or done.returncode != 0:
        return []
    top = Path(_out(_git(root, "rev-parse", "--show-toplevel")) or root)
    paths = []
    for entry in done.stdout.split("\0"):
        if len(entry) > 3:
            paths.append(top / entry[3:])
    return paths
