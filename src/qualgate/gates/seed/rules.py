"""Every rule the seed gate reports: file and document shape, conversion, database refusals,
drift, and the ``--dry-run`` plan notes.

Rules that mean a seed file could not be read at all are not configurable: turning them
off would let the gate pass seeds it never read.
"""

from __future__ import annotations

from qualgate.rules import Rule, catalogue
from qualgate.verdict import Severity

_E = Severity.ERROR

RULES = catalogue(
    "seed",
    # Reading the seed files.
    Rule(
        id="invalid-file",
        severity=_E,
        rationale="The file does not parse (YAML, JSON or CSV syntax, or a CSV header "
        "with empty or repeated column names), so none of its rows can be loaded.",
        fix="Fix the syntax at the reported line.",
        configurable=False,
    ),
    Rule(
        id="unreadable-file",
        severity=_E,
        rationale="The file is not UTF-8 or cannot be read, so none of its rows can be loaded.",
        configurable=False,
    ),
    Rule(
        id="invalid-document",
        severity=_E,
        rationale="A document is not `{table, key, rows}`, a row is not a mapping, or the "
        "documents of one table disagree on `key`.",
        configurable=False,
    ),
    Rule(
        id="invalid-row",
        severity=_E,
        rationale="A CSV row has more or fewer cells than the header names columns.",
        configurable=False,
    ),
    # Matching the seeds with the schema.
    Rule(
        id="unknown-table",
        severity=_E,
        rationale="The seeded table does not exist in the database.",
        fix="Create it with a migration, or fix the table name (or the CSV file name).",
    ),
    Rule(
        id="unknown-column",
        severity=_E,
        rationale="A row (or the document's `key`) names a column the table does not have.",
    ),
    Rule(
        id="no-key",
        severity=_E,
        rationale="The table has no primary key and the document gives no `key`, so rows "
        "cannot be matched with stored ones.",
        fix="Give the document a `key` (a column or list of columns identifying one row).",
    ),
    Rule(
        id="missing-key",
        severity=_E,
        rationale="A row has no value for a key column, so it cannot be matched.",
    ),
    Rule(
        id="duplicate-key",
        severity=_E,
        rationale="Two rows (in the base files, or in the overlay) have the same key; "
        "one would silently overwrite the other.",
    ),
    Rule(
        id="bad-value",
        severity=_E,
        rationale="A value does not convert to its column's type without loss, or the "
        "database refused it as such.",
        fix="Quote text; write dates, times and numbers in the column type's format "
        "(the seed gate's docs list every conversion).",
    ),
    Rule(
        id="not-null",
        severity=_E,
        rationale="A row sets NULL (or, on insert, nothing) for a NOT NULL column.",
    ),
    Rule(
        id="fk-cycle",
        severity=_E,
        rationale="Foreign keys form a cycle no insert order can satisfy (all its columns "
        "NOT NULL), or rows of a self-referencing table reference each other.",
        fix="Make one foreign key column of the cycle nullable: it is then set after the inserts.",
    ),
    Rule(
        id="non-transactional",
        severity=_E,
        rationale="A MySQL table's storage engine cannot roll back (MyISAM...), so an "
        "all-or-nothing load is impossible.",
        fix="Use InnoDB.",
    ),
    # Refusals by the database while writing.
    Rule(
        id="missing-parent",
        severity=_E,
        rationale="A foreign key names a row that does not exist.",
    ),
    Rule(
        id="unique-violation",
        severity=_E,
        rationale="A unique constraint refused the row.",
    ),
    Rule(
        id="check-violation",
        severity=_E,
        rationale="A CHECK constraint refused the row.",
    ),
    Rule(
        id="timeout",
        severity=_E,
        rationale="The database gave up waiting (a lock held by another session, or a "
        "statement past --timeout).",
    ),
    Rule(
        id="db-error",
        severity=_E,
        rationale="The database refused the row for another reason (the message is the driver's).",
    ),
    # Drift between the database and the seeds.
    Rule(
        id="stored-differs",
        severity=_E,
        rationale="After writing, the database holds another value than the seed (a "
        "trigger, a dropped precision); everything was rolled back.",
    ),
    Rule(
        id="missing-row",
        severity=_E,
        rationale="With --check: a seeded row is not in the database.",
        fix="Load the seeds (run the gate without --check).",
    ),
    Rule(
        id="row-differs",
        severity=_E,
        rationale="With --check: a seeded row differs from the stored one (`data.columns` "
        "has both values).",
        fix="Load the seeds (run the gate without --check).",
    ),
    # The --dry-run plan.
    Rule(
        id="would-insert",
        severity=Severity.NOTE,
        rationale="With --dry-run: a load would insert this row.",
    ),
    Rule(
        id="would-update",
        severity=Severity.NOTE,
        rationale="With --dry-run: a load would update these columns of this row.",
    ),
)
