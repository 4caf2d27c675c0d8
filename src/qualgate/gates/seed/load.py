"""Writing to the database: connect, write a plan in one transaction, advance sequences.

Writes are ``executemany`` batches of bound parameters (never SQL text built from values).
When a batch fails, the transaction is rolled back, and a second transaction replays the
plan up to that batch and then its rows one at a time, to name the exact seed row the
database refused; that one is rolled back too. So a failure costs time, never data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, create_engine, event
from sqlalchemy import select as sa_select
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlalchemy.sql import ColumnElement, Executable

from qualgate.errors import GateError
from qualgate.gates.seed.plan import Row, TablePlan
from qualgate.gates.seed.safety import secrets_of
from qualgate.redact import mask

BATCH = 5_000


def connect(url: URL, shown: str, timeout: float = 300.0) -> Engine:
    """An engine for ``url`` (SQLite with foreign keys enforced, MySQL in strict mode).

    ``timeout`` (seconds, the gate's remaining budget) bounds connecting, each statement
    (PostgreSQL) and lock waits (MySQL, SQLite), so a locked table ends in an error verdict
    instead of a hung gate.
    """
    backend = url.get_backend_name()
    seconds = max(1, int(timeout))
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        connect_args["timeout"] = float(min(seconds, 60))
    elif backend in ("postgresql", "mysql", "mariadb"):
        connect_args["connect_timeout"] = min(seconds, 10)
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (SQLAlchemyError, ImportError) as exc:
        raise GateError(
            f"cannot use {shown}: {mask(str(exc), secrets_of(url))}",
            "install the driver: pip install 'qualgate[postgres]' or 'qualgate[mysql]'",
        ) from None
    if backend == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_fk(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # SQLite ignores foreign keys unless asked; a missing parent must fail here too.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    elif backend in ("mysql", "mariadb"):

        @event.listens_for(engine, "connect")
        def _mysql_strict(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # Strict mode: a too-long string or out-of-range number is an error, not a
            # silently truncated value.
            cursor = dbapi_conn.cursor()
            cursor.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')")
            cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {seconds:d}")
            cursor.close()

    elif backend == "postgresql":

        @event.listens_for(engine, "connect")
        def _pg_timeout(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute(f"SET statement_timeout = {seconds * 1000:d}")
            cursor.close()
            dbapi_conn.commit()  # psycopg opened a transaction for the SET

    return engine


def begin_checks(conn: Connection) -> None:
    """Make deferrable constraints check at each statement (PostgreSQL).

    A DEFERRABLE INITIALLY DEFERRED foreign key would otherwise fail only at COMMIT, where
    no seed row can be named; checked per statement, the refused row is found like any.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")


def advance_sequences(conn: Connection, plans: Sequence[TablePlan]) -> list[str]:
    """Move PostgreSQL sequences past the ids the seeds inserted; returns their names.

    Seeding explicit ids into a SERIAL / IDENTITY column does not advance its sequence, so
    the application's next insert would collide with a seeded row. MySQL's AUTO_INCREMENT
    and SQLite's rowid follow the largest id by themselves. A sequence is only moved
    forward, never back.
    """
    from sqlalchemy import func, text

    if conn.dialect.name != "postgresql":
        return []
    moved: list[str] = []
    preparer = conn.dialect.identifier_preparer
    for plan in plans:
        table = plan.seeds.table
        primary = list(table.primary_key.columns)
        if len(primary) != 1 or not plan.inserts:
            continue
        column = primary[0]
        if not any(row.values.get(column.name) is not None for row in plan.inserts):
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"),
            {"t": preparer.format_table(table), "c": column.name},
        ).scalar()
        if sequence is None:
            continue
        highest = conn.execute(sa_select(func.max(column))).scalar()
        if highest is None:
            continue
        advanced = conn.execute(
            text(
                "SELECT setval(CAST(:s AS regclass), :v) "
                "WHERE :v > COALESCE(pg_sequence_last_value(CAST(:s AS regclass)), 0)"
            ),
            {"s": sequence, "v": int(highest)},
        ).scalar()
        if advanced is not None:
            moved.append(str(sequence))
    return moved


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    """One executemany: a statement and the rows it writes."""

    table: str
    action: str  # insert | update | link (a deferred foreign key set after the inserts)
    statement: Executable
    rows: tuple[Row, ...]
    # Mappings for `statement`; or, when `sql` is set, tuples for that driver-level SQL.
    params: tuple[Any, ...]
    sql: str | None = None

    def run(self, conn: Connection, params: list[Any]) -> None:
        if self.sql is not None:
            conn.exec_driver_sql(self.sql, params)
        else:
            conn.execute(self.statement, params)


class WriteFailed(Exception):
    """A batch the database refused; ``at`` is (step index, batch start)."""

    def __init__(self, at: tuple[int, int], error: DBAPIError) -> None:
        super().__init__(str(error))
        self.at = at
        self.error = error


def _key_where(table: Table, key: Sequence[str]) -> ColumnElement[bool]:
    from sqlalchemy import and_

    return and_(*(table.c[c] == bindparam(f"_k{i}") for i, c in enumerate(key)))


def steps_for(
    plans: Sequence[TablePlan],
    ordered_inserts: Mapping[str, Sequence[Row]],
    dialect: Dialect | None = None,
) -> list[Step]:
    """The writes of a plan, in order: per table (parents first) inserts, then updates;
    then the deferred foreign keys of every table."""
    steps: list[Step] = []
    links: list[Step] = []
    for plan in plans:
        seeds = plan.seeds
        table = seeds.table
        deferred = set(seeds.deferred)
        groups: dict[tuple[str, ...], list[Row]] = {}
        for row in ordered_inserts.get(plan.name, plan.inserts):
            # executemany needs the same columns in every row: group by column set.
            groups.setdefault(tuple(row.values), []).append(row)
        for columns, rows in groups.items():
            fast = _driver_insert(dialect, table, columns, rows, deferred)
            if fast is not None:
                steps.append(fast)
                continue
            params: tuple[Mapping[str, Any], ...]
            if deferred & set(columns):
                params = tuple(
                    {c: (None if c in deferred else r.values[c]) for c in columns} for r in rows
                )
            else:  # the row's own mapping is already the parameter set
                params = tuple(r.values for r in rows)
            steps.append(
                Step(
                    table=plan.name,
                    action="insert",
                    statement=table.insert(),
                    rows=tuple(rows),
                    params=params,
                )
            )
        updates: dict[tuple[str, ...], list[Row]] = {}
        for change in plan.updates:
            columns = tuple(
                c for c in change.row.values if c not in seeds.key and c not in deferred
            )
            if columns:
                updates.setdefault(columns, []).append(change.row)
        for columns, changes in updates.items():
            steps.append(_update_step(plan, "update", columns, changes))
        if deferred:
            linked: dict[tuple[str, ...], list[Row]] = {}
            for row in (*plan.inserts, *(c.row for c in plan.updates)):
                columns = tuple(c for c in row.values if c in deferred)
                if columns:
                    linked.setdefault(columns, []).append(row)
            for columns, changes in linked.items():
                links.append(_update_step(plan, "link", columns, changes))
    return steps + links


def _driver_insert(
    dialect: Dialect | None,
    table: Table,
    columns: tuple[str, ...],
    rows: list[Row],
    deferred: set[str],
) -> Step | None:
    """An insert run as driver-level ``executemany`` with tuples, or None.

    SQLAlchemy builds a parameter set per row and per execution; for 100,000 rows that
    costs as much as the insert itself. Here the statement is compiled once, each column is
    run through its type's bind processor once per column, and the driver's executemany
    gets the parameters: the same SQL, the same conversions, bound parameters all the same.
    None (the usual path) when the bind names are not the plain column names.
    """
    if dialect is None:
        return None
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    if compiled.escaped_bind_names:
        return None
    if dialect.positional:
        order = list(compiled.positiontup or ())
    elif dialect.paramstyle in ("pyformat", "named"):
        order = list(compiled.binds)
    else:  # pragma: no cover - no driver we support
        return None
    if sorted(order) != sorted(columns):
        return None
    processors = {
        name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order
    }
    if not dialect.positional and not deferred and not any(processors.values()):
        # Named parameters and nothing to convert: each row's mapping is the parameter set.
        return Step(
            table=table.name,
            action="insert",
            statement=table.insert(),
            rows=tuple(rows),
            params=tuple(r.values for r in rows),
            sql=compiled.string,
        )
    cells: list[list[Any]] = []
    for name in order:
        if name in deferred:
            cells.append([None] * len(rows))
            continue
        values = [r.values[name] for r in rows]
        process = processors[name]
        if process is not None:
            values = [None if v is None else process(v) for v in values]
        cells.append(values)
    params: tuple[Any, ...] = tuple(zip(*cells, strict=True))
    if not dialect.positional:
        params = tuple(dict(zip(order, cell, strict=True)) for cell in params)
    return Step(
        table=table.name,
        action="insert",
        statement=table.insert(),
        rows=tuple(rows),
        params=params,
        sql=compiled.string,
    )


def _update_step(plan: TablePlan, action: str, columns: tuple[str, ...], rows: list[Row]) -> Step:
    seeds = plan.seeds
    table = seeds.table
    statement = (
        table.update()
        .where(_key_where(table, seeds.key))
        .values({c: bindparam(f"_v{i}") for i, c in enumerate(columns)})
    )
    params = tuple(
        {
            **{f"_v{i}": r.values[c] for i, c in enumerate(columns)},
            **{f"_k{i}": k for i, k in enumerate(r.key)},
        }
        for r in rows
    )
    return Step(
        table=plan.name, action=action, statement=statement, rows=tuple(rows), params=params
    )


# What a driver raises for a value it cannot send (sqlite3's OverflowError for an int past
# 64 bits, an adapter's ValueError): a refused row like any other, not an internal error.
_DRIVER_REFUSALS = (ValueError, OverflowError, TypeError)


def _refusal(exc: Exception) -> DBAPIError:
    return exc if isinstance(exc, DBAPIError) else DBAPIError(None, None, exc)


def execute(conn: Connection, steps: Sequence[Step]) -> None:
    """Run every step in batches; raise `WriteFailed` naming the failing batch."""
    for index, step in enumerate(steps):
        for start in range(0, len(step.params), BATCH):
            try:
                step.run(conn, list(step.params[start : start + BATCH]))
            except (DBAPIError, *_DRIVER_REFUSALS) as exc:
                raise WriteFailed((index, start), _refusal(exc)) from exc


def locate(
    engine: Engine, steps: Sequence[Step], at: tuple[int, int]
) -> tuple[Step, Row, DBAPIError] | None:
    """Replay up to the failing batch, then its rows one by one: the first refused row.

    Runs in its own transaction, always rolled back.
    """
    step_index, batch_start = at
    with engine.connect() as conn, conn.begin() as transaction:
        begin_checks(conn)
        try:
            for index, step in enumerate(steps[: step_index + 1]):
                stop = batch_start if index == step_index else len(step.params)
                for start in range(0, stop, BATCH):
                    step.run(conn, list(step.params[start : min(stop, start + BATCH)]))
            step = steps[step_index]
            end = min(len(step.params), batch_start + BATCH)
            for i in range(batch_start, end):
                try:
                    step.run(conn, [step.params[i]])
                except (DBAPIError, *_DRIVER_REFUSALS) as exc:
                    return step, step.rows[i], _refusal(exc)
            return None
        except (DBAPIError, *_DRIVER_REFUSALS):
            return None
        finally:
            transaction.rollback()
