"""The seed gate: load declared seed data idempotently, all or nothing.

Without ``--database-url`` it proves the seeds valid on a throwaway SQLite database built
from the project's schema; with one, it upserts into that database in one transaction,
then re-reads every seeded row to prove the database holds exactly what the files say.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.options import Kind, Option
from qualgate.verdict import Check, Finding, Severity, Status, Verdict

DEFAULT_TIMEOUT = 300.0
HELP = "docs/gates/seed.md"


def _module_attr(value: Any) -> Any:
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
        "Default: a throwaway SQLite database, built and discarded.",
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
        help="Allow a non-local host or a production-looking database name.",
    ),
    Option(
        name="alembic-ini",
        default="alembic.ini",
        metavar="FILE",
        help="Alembic config file, relative to the project root (default alembic.ini).",
    ),
    Option(
        name="python",
        kind=Kind.PATH,
        metavar="PATH",
        help="The project's interpreter for migrations and --metadata (default .venv/bin/python).",
    ),
)


def _finding(rule: str, message: str, path: str | None, line: int | None, **data: Any) -> Finding:
    return Finding(
        rule=rule,
        severity=Severity.ERROR,
        message=message,
        path=path or None,
        line=line,
        check=data.pop("check", "seed"),
        help=HELP,
        data={k: v for k, v in data.items() if v is not None},
    )


def run(ctx: GateContext) -> Verdict:
    """Read the seed files, then check or load them (see docs/gates/seed.md)."""
    import gc

    # A large seed allocates a few hundred thousand acyclic objects (rows, tuples, dicts);
    # the cyclic collector would traverse them again and again for nothing (~25% of the
    # time on 100,000 rows). Reference counting still frees everything.
    collecting = gc.isenabled()
    gc.disable()
    try:
        verdict = _run(ctx)
    except GateError as exc:
        # Caught here rather than by the runner so that the verdict's `reproduce` line is
        # ours, with the database password masked (the CLI's would repeat the raw URL).
        verdict = Verdict(
            gate="seed",
            status=Status.ERROR,
            summary=exc.reason.strip().splitlines()[0] if exc.reason.strip() else "error",
            next_steps=(exc.hint,) if exc.hint else (),
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - same boundary as the runner's, but masked
        import sys
        import traceback

        from qualgate.gates.seed.safety import mask_in

        if ctx.debug:
            traceback.print_exc(file=sys.stderr)
        text = mask_in(f"{type(exc).__name__}: {exc}", ctx.options.get("database-url"))
        verdict = Verdict(
            gate="seed",
            status=Status.ERROR,
            summary=f"internal error: {text.strip().splitlines()[0]}",
            next_steps=("rerun with --debug for the traceback and report it",),
        )
    finally:
        if collecting:
            gc.enable()
    return verdict.replace(reproduce=reproduce(ctx))


def reproduce(ctx: GateContext) -> str:
    """The command that repeats this run, the database password masked."""
    import shlex

    from qualgate.gates.seed.safety import mask

    words = ["qualgate", "seed"]
    try:
        shown = os.path.relpath(ctx.root)
    except ValueError:  # pragma: no cover - another drive on Windows
        shown = str(ctx.root)
    if shown != ".":
        words.append(shown)
    from qualgate.options import common_options

    shared = [o for o in common_options(DEFAULT_TIMEOUT) if o.name != "verdict-dir"]
    for option in (*shared, *OPTIONS):
        value = ctx.options.get(option.name)
        if value is None or value == option.default:
            continue
        if isinstance(value, Path) and ctx.relpath(value) == str(option.default):
            continue
        flag = f"--{option.name}"
        if option.kind is Kind.BOOL:
            words.append(flag if value else f"--no-{option.name}")
        elif option.name == "database-url":
            words += [flag, mask(str(value))]
        elif isinstance(value, Path):
            words += [flag, ctx.relpath(value)]
        elif isinstance(value, float):
            words += [flag, f"{value:g}"]
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def _run(ctx: GateContext) -> Verdict:
    from qualgate.gates.seed import files as seed_files
    from qualgate.gates.seed import runner

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
            gate="seed",
            status=Status.SKIPPED,
            summary=f"nothing to seed: {reason}",
            checks=(Check(name="read", status=Status.SKIPPED, summary=reason),),
        )
    base_docs, overlay_docs, problems = [], [], []
    for path in base:
        docs, found = seed_files.read_file(path, ctx.relpath(path))
        base_docs.extend(docs)
        problems.extend(found)
    for path in overlay:
        docs, found = seed_files.read_file(path, ctx.relpath(path))
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
            _finding(p.rule, p.message, p.path, p.line, check="read") for p in problems
        )
        return Verdict(
            gate="seed",
            status=Status.FAIL,
            summary=f"{len(findings)} problems in the seed files; nothing was loaded",
            checks=(read_check,),
            findings=findings,
            metrics={"files": len(base) + len(overlay), "rows": rows},
        )
    if ctx.option("database-url"):
        return runner.run_on_url(
            ctx, base_docs, overlay_docs, read_check, files=len(base) + len(overlay)
        )
    with tempfile.TemporaryDirectory(prefix="qualgate-seed-") as scratch:
        return runner.run_embedded(
            ctx, base_docs, overlay_docs, read_check, Path(scratch), files=len(base) + len(overlay)
        )
