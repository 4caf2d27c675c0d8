"""Which gates a change can affect: the files changed since ``--base`` against each gate's
declared inputs (``qualgate all --base`` runs only the affected gates)."""

from __future__ import annotations

from pathlib import Path

from qualgate import git, process
from qualgate.cache.inputs import Inputs
from qualgate.cache.tree import OWN_DIR, compile_globs
from qualgate.errors import GateError


def changed_paths(root: Path, base: str) -> frozenset[str]:
    """Every project-relative path added, modified, deleted or renamed since ``base``,
    committed or not, plus untracked files (deletions count: a removed test changes the
    answer as much as an added one)."""
    commit = git.verify_ref(root, base)
    diff = process.run(
        [
            "git",
            "-c",
            "core.quotePath=false",
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--relative",
            commit,
            "--",
            ".",
        ],
        cwd=root,
        timeout=60,
    )
    if diff.returncode != 0:
        raise GateError(f"git diff against {base} failed", diff.stderr.strip()[:200] or None)
    untracked = process.run(
        ["git", "ls-files", "-z", "--others", "--exclude-standard", "--", "."],
        cwd=root,
        timeout=60,
    )
    paths = {p for p in diff.stdout.split("\0") if p}
    if untracked.returncode == 0:
        paths.update(p for p in untracked.stdout.split("\0") if p)
    # qualgate's own folder (the baseline is applied after a gate answers) is no input.
    return frozenset(p for p in paths if not p.startswith(OWN_DIR + "/"))


def touched(inputs: Inputs, changed: frozenset[str]) -> list[str]:
    """The changed paths among a gate's declared input files (sorted)."""
    include = compile_globs(inputs.files)
    skip = compile_globs(inputs.exclude)
    return sorted(p for p in changed if include.match(p) and not (skip and skip.match(p)))
