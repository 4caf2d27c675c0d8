"""Every rule migration-check can report: the revision graph, the operation lint, and the
steps run on the scratch database.

Only the operation-lint rules are ``configurable``: ``--disable`` takes their ids. The
others report on the chain as a whole or on what the database did with it.
"""

from __future__ import annotations

from qualgate.rules import Rule, catalogue
from qualgate.verdict import Severity

ERROR, WARNING, NOTE = Severity.ERROR, Severity.WARNING, Severity.NOTE


def _fixed(rule_id: str, severity: Severity, rationale: str, fix: str | None = None) -> Rule:
    """A rule that cannot be turned off."""
    return Rule(id=rule_id, severity=severity, rationale=rationale, fix=fix, configurable=False)


def _lint(rule_id: str, severity: Severity, rationale: str, fix: str | None = None) -> Rule:
    """An operation-lint rule (``--disable`` may turn it off)."""
    return Rule(id=rule_id, severity=severity, rationale=rationale, fix=fix)


RULES = catalogue(
    "migration-check",
    # The revision graph (read with ast, every revision file).
    _fixed(
        "multiple-heads",
        ERROR,
        "Two heads: `alembic upgrade head` refuses to run.",
        "Join them with `alembic merge heads`.",
    ),
    _fixed(
        "missing-down-revision",
        ERROR,
        "A `down_revision` or `depends_on` names a revision no file defines, or is missing.",
        "Use `down_revision = None` for a first revision, else an existing revision id.",
    ),
    _fixed(
        "duplicate-revision",
        ERROR,
        "Two revision files use the same revision id.",
        "Give one of them a new id (and fix the down_revision that names it).",
    ),
    _fixed(
        "revision-cycle",
        ERROR,
        "The down_revision links form a cycle: Alembic cannot order the chain.",
    ),
    _fixed(
        "unparsable-revision",
        ERROR,
        "Alembic cannot load the file (a syntax error, or a revision id that is not a literal).",
    ),
    _fixed("merge-revision", NOTE, "The revision merges branches of the chain."),
    # The operation lint (the revisions added since --base).
    _lint(
        "add-not-null-column",
        ERROR,
        "Adding a NOT NULL column without a server default fails on any table with rows.",
    ),
    _lint(
        "set-not-null",
        WARNING,
        "Making an existing column NOT NULL fails if a row holds NULL, and scans the table "
        "under a lock.",
    ),
    _lint(
        "drop-column",
        WARNING,
        "Destructive: the column's data is gone, and running code that reads it breaks.",
    ),
    _lint(
        "drop-table",
        WARNING,
        "Destructive: the table's data is gone, and running code that uses it breaks.",
    ),
    _lint(
        "rename",
        WARNING,
        "Running code still uses the old name until it is deployed.",
        "Add the new name, copy the data, then drop the old name in a later release.",
    ),
    _lint(
        "alter-column-type",
        WARNING,
        "A type change can rewrite the whole table under an exclusive lock, or lose data.",
    ),
    _lint(
        "create-index-not-concurrently",
        WARNING,
        "CREATE INDEX blocks writes to the table until it finishes (PostgreSQL).",
        "Use postgresql_concurrently=True in an autocommit block.",
    ),
    _lint(
        "foreign-key-not-valid",
        NOTE,
        "Adding a foreign key checks every row under a lock (PostgreSQL).",
        "Add it NOT VALID, then VALIDATE CONSTRAINT separately.",
    ),
    _lint(
        "execute-formatted-sql",
        ERROR,
        "SQL built by string formatting is open to injection and quoting bugs.",
        "Use sa.text() with bound parameters.",
    ),
    _lint(
        "empty-downgrade",
        WARNING,
        "Without a working downgrade() the revision cannot be rolled back.",
    ),
    _fixed(
        "modified-revision",
        WARNING,
        "A revision that existed at --base was edited: databases that already ran it will "
        "not run it again.",
        "Add a new revision instead of editing one that may be deployed.",
    ),
    # The steps run on the scratch database.
    _fixed("upgrade-failed", ERROR, "The revision's upgrade failed on the scratch database."),
    _fixed("downgrade-failed", ERROR, "The revision's downgrade failed on the scratch database."),
    _fixed(
        "model-drift",
        ERROR,
        "The models and the migrated schema differ.",
        "Run `alembic revision --autogenerate` and review the new revision.",
    ),
    _fixed(
        "drift-check-failed",
        ERROR,
        "Alembic's comparison of the models with the migrated schema failed.",
    ),
    _fixed(
        "downgrade-incomplete",
        ERROR,
        "After a downgrade the schema differs from before the upgrade.",
        "Make downgrade() undo everything upgrade() does.",
    ),
    _fixed(
        "up-down-mismatch",
        ERROR,
        "Upgrading again after the downgrade failed, or gave another schema.",
        "Make downgrade() undo everything upgrade() does.",
    ),
    _fixed("baseline-failed", ERROR, "The `baseline` SQL file failed on the scratch database."),
    _fixed(
        "irreversible-downgrade",
        WARNING,
        "The revision's downgrade raises NotImplementedError (or the revision is listed in "
        "`irreversible-revisions`): it cannot be rolled back, and the round trip stops there.",
        "Write a downgrade() if the change can be undone; else keep it listed as irreversible.",
    ),
    _fixed(
        "drift-not-checked",
        ERROR,
        "With `require-drift`: env.py passes no target_metadata to context.configure(), so "
        "the models cannot be compared with the migrated schema.",
        "Set target_metadata = Base.metadata (your models' MetaData) in env.py.",
    ),
    _fixed(
        "model-not-imported",
        ERROR,
        "With `check-models-imported`: a table defined in the models' package is missing "
        "from the target_metadata env.py hands Alembic, because nothing env.py imports "
        "imports its module; `alembic revision --autogenerate` would propose to drop it.",
        "Import the module where the models' base or package is imported (e.g. in "
        "models/__init__.py).",
    ),
)

# Rules that only apply when the migrations target PostgreSQL.
POSTGRES_ONLY = frozenset({"create-index-not-concurrently", "foreign-key-not-valid"})
# The ids `--disable` accepts: the operation-lint rules.
LINT_RULES = tuple(r.id for r in RULES if r.configurable)
