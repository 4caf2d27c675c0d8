"""What a gate's answer depends on, as the gate declares it.

A gate module may define ``INPUTS``: an `Inputs`, a list of globs (the files it reads),
or a function ``INPUTS(ctx) -> Inputs`` when the answer depends on its options. A gate
that declares nothing is keyed by everything: every file of the project, every
environment variable but the volatile ones, the project's interpreter and what is
installed in it. That is always correct, only coarser (any edit anywhere runs it again).

Whatever the declaration, the key also holds the gate's options, qualgate's own code and
environment, the ``--base`` commit and the files the gate opened or listed in-process
while it ran (`qualgate.cache.record`), and those it named with ``ctx.note_inputs``.

`INTERIM` holds the declarations of the gates that do not declare their own yet (today
lint-format, run-tests, dependency-scan, artifact-validate); each entry is what that
gate's ``gate.py`` should hold as ``INPUTS``. openapi-lint, migration-check, seed and
integrity declare their own.
"""

from __future__ import annotations

import datetime as dt
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
    """The gate's own ``INPUTS``, else its interim declaration, else everything."""
    decl: Any = getattr(module, "INPUTS", None)
    if decl is None:
        decl = INTERIM.get(gate)
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


# --- interim declarations, one per gate (to move into each gate.py as INPUTS) ---------

# What linters, formatters and type checkers read: code, and their configuration.
LINT_CONFIGS = (
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    ".flake8",
    ".pylintrc",
    "pylintrc",
    "mypy.ini",
    ".mypy.ini",
    "ruff.toml",
    ".ruff.toml",
    "pyrightconfig.json",
    ".isort.cfg",
    ".editorconfig",
)
LINT_FILES = (
    "**/*.py",
    "**/*.pyi",
    "**/*.ipynb",
    "**/py.typed",
    "**/.gitignore",
    "**/.ignore",
    "qualgate.toml",
    *(f"**/{name}" for name in LINT_CONFIGS),
)


def lint_format(ctx: GateContext) -> Inputs:
    fix = bool(ctx.option("fix"))
    ruff = ctx.option("ruff")
    return Inputs(
        files=LINT_FILES,
        outside=(
            *parents_of(ctx, LINT_CONFIGS),
            *user_config("ruff/ruff.toml", "ruff/pyproject.toml", "ruff/.ruff.toml"),
            *user_config("mypy/config", "pycodestyle", "flake8", "pylintrc", "black"),
            str(Path.home() / ".mypy.ini"),
            str(Path.home() / ".pylintrc"),
        ),
        env=("PATH", "VIRTUAL_ENV", "PYTHON*", "MYPY*", "RUFF_*", "FLAKE8*", "PYLINT*"),
        tools=(
            *((str(ruff),) if ruff else ()),
            "ruff",
            "mypy",
            "black",
            "isort",
            "flake8",
            "pylint",
            "pyright",
        ),
        skip="--fix changes the project's files" if fix else None,
        exclusive=fix,
    )


def measured_files(verdict: Verdict) -> list[str]:
    """The files coverage measured (keys of run-tests' ``metrics.files``): those outside the
    project are imported by the tests but in no snapshot of the project."""
    files = verdict.metrics.get("files")
    return [str(p) for p in files] if isinstance(files, dict) else []


def run_tests(ctx: GateContext) -> Inputs:
    # A test may read any file and any variable: everything is an input, and so is every
    # module the tests imported from outside the project (coverage data names them).
    shard = ctx.option("shard")
    return Inputs(
        skip="--shard leaves data for `qualgate merge`" if shard else None,
        reported=measured_files,
    )


DEPENDENCY_FILES = (
    "**/*requirements*.txt",
    "**/requirements/*.txt",
    "**/*.in",
    "**/pyproject.toml",
    "**/setup.cfg",
    "**/setup.py",
    "**/uv.lock",
    "**/poetry.lock",
    "**/pdm.lock",
    "**/Pipfile",
    "**/Pipfile.lock",
    "**/pylock*.toml",
    "**/constraints*.txt",
    "qualgate.toml",
)


def dependency_scan(ctx: GateContext) -> Inputs:
    db = ctx.option("vuln-db")
    skip = None
    if db is None:
        skip = "the OSV service's answers change over time (pass --vuln-db to cache)"
    elif ctx.option("sbom") is not None:
        skip = "--sbom writes a file"
    files = [
        *DEPENDENCY_FILES,
        *rel_glob(ctx, db, "/**"),
        *(g for f in ctx.option("file") or () for g in rel_glob(ctx, f)),
    ]
    return Inputs(
        files=tuple(files),
        outside=(
            *outside_root(ctx, db, *(ctx.option("file") or ())),
            *parents_of(ctx, ("uv.lock", "poetry.lock", "pdm.lock", "pyproject.toml")),
        ),
        env=(),
        python=bool(ctx.option("installed")),
        # Accepted advisories expire (`until`): an answer holds for one day.
        extra=(f"date={dt.datetime.now(dt.timezone.utc).date().isoformat()}",),
        skip=skip,
    )


def artifact_validate(ctx: GateContext) -> Inputs:
    if ctx.option("verdict-files"):
        return Inputs(
            skip="it validates qualgate's verdict files, which every run rewrites "
            "(verdict-files = false makes it cacheable)"
        )
    files = [
        *rel_glob(ctx, ctx.option("artifacts-dir"), "/**"),
        *(str(g) for g in ctx.option("api-contract") or ()),
        "pyproject.toml",
        "qualgate.toml",
    ]
    for entry in ctx.option("schemas") or ():
        if isinstance(entry, dict):
            files += [str(v) for k, v in entry.items() if k in ("glob", "schema")]
    for spec in (ctx.option("types") or {}).values():
        if isinstance(spec, dict) and spec.get("schema"):
            files.append(str(spec["schema"]))
        if isinstance(spec, dict):
            files += [f"{str(f).strip('/')}/**" for f in spec.get("folders") or ()]
    return Inputs(files=tuple(files), env=(), python=False)


INTERIM: dict[str, Declaration] = {
    "lint-format": lint_format,
    "run-tests": run_tests,
    "dependency-scan": dependency_scan,
    "artifact-validate": artifact_validate,
}
