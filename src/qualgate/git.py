"""What git knows about the project: commit, dirtiness, and what changed since ``--base``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qualgate import process
from qualgate.errors import GateError, ToolMissing, ToolTimeout

# Where `qualgate hook` records the working tree when an agent session starts.
SESSION_REF = "refs/qualgate/session"
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def _git(root: Path, *args: str, timeout: float = 60) -> process.Completed | None:
    try:
        return process.run(["git", *args], cwd=root, timeout=timeout)
    except (ToolMissing, ToolTimeout):
        return None


def toplevel(root: Path) -> Path | None:
    done = _git(root, "rev-parse", "--show-toplevel")
    if done is None or done.returncode != 0:
        return None
    return Path(done.stdout.strip())


def head_commit(root: Path) -> str | None:
    done = _git(root, "rev-parse", "HEAD")
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def is_dirty(root: Path) -> bool | None:
    done = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".")
    if done is None or done.returncode != 0:
        return None
    return bool(done.stdout.strip())


def verify_ref(root: Path, ref: str) -> str:
    """The commit ``ref`` names, or a GateError saying why it cannot be used."""
    if ref.startswith("-"):
        raise GateError(f"--base {ref!r} is not a git ref", "pass a branch, tag or commit")
    if ref == "session":
        # What an agent session changed: the hook records the tree when the session starts.
        done = _git(root, "rev-parse", "--verify", "--quiet", f"{SESSION_REF}^{{commit}}")
        if done is None or done.returncode != 0:
            raise GateError(
                "--base session: no agent session recorded",
                "start one with the agent's SessionStart hook (qualgate hook <agent>), "
                "or pass a git ref",
            )
        return done.stdout.strip()
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done is None:
        raise GateError("--base needs git, which is not installed", "install git")
    if done.returncode != 0:
        if toplevel(root) is None:
            raise GateError(
                f"--base {ref} given, but {root} is not inside a git repository",
                "run without --base, or from a git checkout",
            )
        raise GateError(
            f"--base {ref}: no such commit, branch or tag",
            "fetch it first (`git fetch origin main`), or check the spelling",
        )
    return done.stdout.strip()


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangedLines:
    """Lines added or modified since a base ref, by project-relative path.

    Untracked (not ignored) files count as wholly changed: ``whole`` holds them.
    """

    base: str
    lines: dict[str, frozenset[int]] = field(default_factory=dict)
    whole: frozenset[str] = frozenset()

    @property
    def files(self) -> frozenset[str]:
        return frozenset(self.lines) | self.whole

    def contains(self, path: str | None, line: int | None) -> bool:
        """Whether a finding at ``path:line`` is on changed code.

        A finding without a line in a changed file counts as changed.
        """
        if path is None:
            return False
        if path in self.whole:
            return True
        changed = self.lines.get(path)
        if changed is None:
            return False
        return line is None or line in changed


def _parse_diff(text: str, prefix: str) -> dict[str, frozenset[int]]:
    result: dict[str, set[int]] = {}
    current: str | None = None
    for raw in text.splitlines():
        if raw.startswith("+++ "):
            target = _unquote(raw[4:])
            if target == "/dev/null":
                current = None
                continue
            target = target[2:] if target.startswith("b/") else target
            current = _relative(target, prefix)
            if current is not None:
                result.setdefault(current, set())
            continue
        if current is None:
            continue
        match = _HUNK.match(raw)
        if match:
            start = int(match.group(1))
            count = int(match.group(2)) if match.group(2) is not None else 1
            result[current].update(range(start, start + count))
    return {k: frozenset(v) for k, v in result.items()}


_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"}


def _unquote(name: str) -> str:
    """A path as git prints it: C-quoted (with octal UTF-8 bytes) when it is unusual."""
    if not (len(name) >= 2 and name.startswith('"') and name.endswith('"')):
        # A name with a space ends with a tab (the unified-diff convention); a name that
        # itself ends with a tab would have been quoted.
        return name[:-1] if name.endswith("\t") else name
    out = bytearray()
    body = name[1:-1]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 >= len(body):
            out += ch.encode("utf-8")
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "01234567" and i + 3 < len(body) + 1:
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out += _ESCAPES.get(nxt, nxt).encode("utf-8")
            i += 2
    return out.decode("utf-8", "surrogateescape")


def _relative(repo_path: str, prefix: str) -> str | None:
    """A repo-relative path made relative to the project root (None when outside it)."""
    if not prefix:
        return repo_path
    if repo_path.startswith(prefix):
        return repo_path[len(prefix) :]
    return None


def _prefix(root: Path) -> str:
    done = _git(root, "rev-parse", "--show-prefix")
    return done.stdout.strip() if done is not None and done.returncode == 0 else ""


def changed_lines(root: Path, base: str) -> ChangedLines:
    """Lines changed in the working tree since ``base`` (committed, staged or not)."""
    commit = verify_ref(root, base)
    prefix = _prefix(root)
    # The repository does not get to shape this diff: `.gitattributes` may mark files
    # binary (`-diff`) or route them through a textconv or external driver that hides
    # hunks, which would turn new findings into "existing" ones.
    diff = _git(
        root,
        "-c",
        "core.quotePath=false",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--text",
        "--find-renames",
        "--unified=0",
        "--relative" if prefix else "--no-relative",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        commit,
        "--",
        ".",
    )
    if diff is None or diff.returncode != 0:
        raise GateError(
            f"git diff against {base} failed",
            diff.stderr.strip()[:200] if diff is not None else "is git installed?",
        )
    # With --relative, paths in the diff are already relative to the project root.
    lines = _parse_diff(diff.stdout, "")
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    whole: frozenset[str] = frozenset()
    if untracked is not None and untracked.returncode == 0:
        # ls-files prints paths relative to its working directory, the project root.
        whole = frozenset(p for p in untracked.stdout.split("\0") if p.strip())
    return ChangedLines(base=base, lines=lines, whole=whole)


def show_file(root: Path, ref: str, path: str) -> str | None:
    """A project-relative file's text at ``ref`` (None when it did not exist there)."""
    commit = verify_ref(root, ref)
    done = _git(root, "show", f"{commit}:./{path}")
    if done is None or done.returncode != 0:
        return None
    return done.stdout


def changed_files(root: Path, base: str) -> frozenset[str]:
    return changed_lines(root, base).files


def tracked_files(root: Path, patterns: Iterable[str] = ()) -> list[str] | None:
    """Project-relative files git tracks or would track (None outside a repository)."""
    done = _git(root, "ls-files", "--cached", "--others", "--exclude-standard", "--", *patterns)
    if done is None or done.returncode != 0:
        return None
    return [p for p in done.stdout.splitlines() if p]
