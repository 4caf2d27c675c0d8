"""What a gate's answer depends on, as the gate declares it.

A gate module may define ``INPUTS``: an `Inputs`, a list of globs (the files it reads),
or a function ``INPUTS(ctx) -> Inputs`` when the answer depends on its options. A gate
that declares nothing is keyed by everything: every file of the project, every
environment variable but the volatile ones, the project's interpreter and what is
installed in it. That is always correct, only coarser (any edit anywhere runs it again).

Whatever the declaration, the key also holds the gate's options, qualgate's own code and
environment, the ``--base`` commit and the files the gate opened or listed in-process
while it ran (`qualgate.cache.record`), and those it named with ``ctx.note_inputs``.

Every gate of qualgate declares its own, in its ``gate.py``; the helpers below
(`rel_glob`, `outside_root`, `parents_of`, `user_config`) are what those declarations
share.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate.context import GateContext
from qualgate.verdict import Verdict

EVERY_FILE = ("**",)
EVERY_VARIABLE = ("*",)


@dataclass(frozen=True, kw_only=True, slots=True)
class Inputs:
    """Everything that can change a gate's answer, besides its options."""

    # Globs relative to the root (``**`` spans folders): the files the gate (or its tools)
    # may read or discover. A new file matching them changes the key too.
    files: tuple[str, ...] = EVERY_FILE
    exclude: tuple[str, ...] = ()
    # Files or folders outside the project that matter (a user's tool config, a lock
    # file of the enclosing workspace): absolute paths.
    outside: tuple[str, ...] = ()
    # Environment variables (fnmatch patterns); ``*``: all but the volatile ones.
    env: tuple[str, ...] = EVERY_VARIABLE
    # Executables found on PATH (or absolute paths) whose version matters.
    tools: tuple[str, ...] = ()
    # The project's interpreter and what is installed in it.
    python: bool = True
    # Anything else (a database server's version, today's date for expiring ignores).
    extra: tuple[str, ...] = ()
    # Why this run is never answered from the cache (it writes, or asks a network).
    skip: str | None = None
    # Uses a database: ``all`` runs such gates one after another.
    database: bool = False
    # Changes the project's files (``--fix``): ``all`` runs it alone, before the others.
    exclusive: bool = False
    # Gates whose verdict this one reads: ``all`` starts it only after they finished.
    after: tuple[str, ...] = ()
    # Files the answer turned out to depend on, read from the verdict after the run (what
    # a gate does not know beforehand, like the modules a test suite imported).
    reported: Callable[[Verdict], Iterable[str]] | None = None


Declaration = Inputs | Iterable[str] | Callable[[GateContext], Inputs]


def declared(gate: str, module: object, ctx: GateContext) -> Inputs:
    """The gate's own ``INPUTS``, else everything."""
    decl: Any = getattr(module, "INPUTS", None)
    if decl is None:
        return Inputs()
    if isinstance(decl, Inputs):
        return decl
    if callable(decl):
        result = decl(ctx)
        if not isinstance(result, Inputs):
            raise TypeError(f"{gate}: INPUTS(ctx) must return qualgate.cache.inputs.Inputs")
        return result
    return Inputs(files=tuple(str(p) for p in decl))


def rel_glob(ctx: GateContext, path: Path | str | None, suffix: str = "") -> list[str]:
    """A path option as a glob inside the root, or [] when unset or outside it."""
    if path is None:
        return []
    p = Path(path)
    p = p if p.is_absolute() else ctx.root / p
    try:
        rel = p.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return []
    return [f"{rel}{suffix}" if rel != "." else "**"]


def outside_root(ctx: GateContext, *paths: Path | str | None) -> tuple[str, ...]:
    out = []
    for path in paths:
        if path is None:
            continue
        p = Path(path)
        p = p if p.is_absolute() else ctx.root / p
        if not p.resolve().is_relative_to(ctx.root.resolve()):
            out.append(str(p))
    return tuple(out)


def parents_of(ctx: GateContext, names: Iterable[str], levels: int = 8) -> tuple[str, ...]:
    """``names`` in each folder above the root (configs and locks of an enclosing repo)."""
    out = []
    folder = ctx.root.resolve()
    wanted = tuple(names)
    for _ in range(levels):
        if folder.parent == folder:
            break
        folder = folder.parent
        out += [str(folder / n) for n in wanted]
        if (folder / ".git").exists():
            break
    return tuple(out)


def user_config(*relative: str) -> tuple[str, ...]:
    """Files under the user's config folder (``$XDG_CONFIG_HOME``, else ``~/.config``)."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return tuple(str(base / r) for r in relative)
