"""What a gate is given: the project root, its resolved options, and a time budget."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate import git, pyenv
from qualgate.errors import GateError


@dataclass(frozen=True, kw_only=True)
class GateContext:
    """Everything a gate's ``run`` may read. Gates never print and never see click."""

    gate: str
    root: Path
    options: Mapping[str, Any] = field(default_factory=dict)
    base: str | None = None
    timeout: float = 600.0
    debug: bool = False
    # Arguments after `--` on the command line (only for gates that accept them).
    extra_args: tuple[str, ...] = ()
    started: float = field(default_factory=time.monotonic)
    # The --config file, when one was named (the `all` gate passes it on).
    config_file: Path | None = None
    # Per-run memo (changed lines): a run sees one state of the work tree, the next run
    # a fresh one. ``all`` hands every gate it asks before anything runs the same memo.
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Files the gate says it (or a tool it ran) read, beyond its declared inputs.
    _inputs: set[str] = field(default_factory=set, repr=False, compare=False)

    def option(self, name: str) -> Any:
        """The resolved value of a gate option by its long name (``"coverage-min"``)."""
        try:
            return self.options[name]
        except KeyError:
            raise KeyError(f"gate {self.gate} has no option {name!r}") from None

    def remaining(self) -> float:
        """Seconds left of the gate's --timeout (at least one, so tools can start)."""
        return max(1.0, self.timeout - (time.monotonic() - self.started))

    def progress(self, message: str) -> None:
        """Human progress chatter: stderr, and only when stderr is a terminal."""
        if sys.stderr.isatty():
            sys.stderr.write(f"qualgate {self.gate}: {message}\n")
            sys.stderr.flush()

    def relpath(self, path: str | os.PathLike[str]) -> str:
        """A path as findings show it: relative to the root, with forward slashes.

        Paths outside the root stay absolute (still with forward slashes).
        """
        p = Path(path)
        if not p.is_absolute():
            p = self.root / p
        try:
            rel = os.path.relpath(p, self.root)
        except ValueError:  # pragma: no cover - different drive on Windows
            return p.as_posix()
        if rel == ".." or rel.startswith(".." + os.sep):
            return p.as_posix()
        return Path(rel).as_posix()

    def note_inputs(self, *paths: str | os.PathLike[str]) -> None:
        """Files this run's answer depends on beyond the gate's declared ``INPUTS``.

        The result cache replays this answer only while each of them is unchanged. A gate
        calls it for what its tools read and it cannot declare beforehand (the modules a
        test suite imported, per coverage data). Relative paths are relative to the root.
        """
        for path in paths:
            p = Path(path)
            self._inputs.add(str(p if p.is_absolute() else self.root / p))

    def noted_inputs(self) -> frozenset[str]:
        """What `note_inputs` collected (absolute paths)."""
        return frozenset(self._inputs)

    def changed_lines(self) -> git.ChangedLines | None:
        """Lines changed since --base (None without --base)."""
        if self.base is None:
            return None
        if "changed" not in self._memo:
            self._memo["changed"] = git.changed_lines(self.root, self.base)
        changed: git.ChangedLines = self._memo["changed"]
        return changed

    def python(self) -> str:
        """The project's interpreter (`qualgate.pyenv`: --python, the project's or its
        workspace's venv, the active venv, else qualgate's own)."""
        return self.interpreter().path

    def interpreter(self, *, trusted: bool = False) -> pyenv.Interpreter:
        """`python` with where it came from; ``trusted``: the reader gates' trust rule."""
        return pyenv.find(self.root, self.options.get("python"), trusted=trusted)


def project_python(root: Path, chosen: str | os.PathLike[str] | None) -> str | None:
    """The interpreter `GateContext.python` picks (None when ``chosen`` does not exist)."""
    try:
        return pyenv.find(root, chosen).path
    except GateError:
        return None
