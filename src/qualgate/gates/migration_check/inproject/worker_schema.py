"""Schema snapshots and differences, for the migration worker (loaded by path, no qualgate).

Kept apart from worker.py for size; like it, it imports only the standard library and,
inside functions, SQLAlchemy from the project's interpreter.
"""

from __future__ import annotations

from typing import Any


def snapshot_of(conn: Any, only: list[str] | None = None) -> dict[str, Any]:
    """The schema as one connection sees it (tables, columns, keys, indexes).

    With ``only``, the other tables are listed without details (value None): a revision's
    round trip reflects the tables it touches, not the whole schema, twice per revision.
    """
    from sqlalchemy import inspect

    insp = inspect(conn)
    every = [t for t in insp.get_table_names() if t != "alembic_version"]
    names = every if only is None else [t for t in every if t in set(only)]
    out: dict[str, Any] = {t: None for t in every}
    multi = hasattr(insp, "get_multi_columns")
    if multi and names:
        kw: dict[str, Any] = {} if only is None else {"filter_names": names}
        cols = insp.get_multi_columns(**kw)
        pks = insp.get_multi_pk_constraint(**kw)
        fks = insp.get_multi_foreign_keys(**kw)
        idx = insp.get_multi_indexes(**kw)
        uqs = insp.get_multi_unique_constraints(**kw)

        def pick(data: dict[Any, Any], name: str) -> Any:
            return data.get((None, name), [])

    for name in sorted(names):
        if multi:
            c, p, f, i, u = (
                pick(cols, name),
                pick(pks, name) or {},
                pick(fks, name),
                pick(idx, name),
                pick(uqs, name),
            )
        else:  # pragma: no cover - SQLAlchemy 1.4
            c = insp.get_columns(name)
            p = insp.get_pk_constraint(name) or {}
            f = insp.get_foreign_keys(name)
            i = insp.get_indexes(name)
            u = insp.get_unique_constraints(name)
        out[name] = {
            "columns": {
                col["name"]: {
                    "type": str(col["type"]),
                    "nullable": bool(col.get("nullable", True)),
                    "default": None if col.get("default") is None else str(col["default"]),
                }
                for col in c
            },
            "primary_key": list(p.get("constrained_columns") or []),
            "foreign_keys": sorted(
                f"({', '.join(fk['constrained_columns'])}) -> {fk['referred_table']}"
                f"({', '.join(fk['referred_columns'])})"
                for fk in f
            ),
            "indexes": sorted(
                f"{ix['name']}({', '.join(str(x) for x in ix['column_names'])})"
                f"{' unique' if ix.get('unique') else ''}"
                for ix in i
            ),
            "unique": sorted(f"({', '.join(uq['column_names'])})" for uq in u),
        }
    return out


def split_sql(script: str) -> list[str]:
    """Statements of a plain SQL file (split on ';' at line ends; no procedures)."""
    statements, current = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).strip().rstrip(";"))
            current = []
    if "".join(current).strip():
        statements.append("\n".join(current).strip())
    return [s for s in statements if s.strip()]


def describe_diff(diff: Any) -> dict[str, Any]:
    """One autogenerate difference as {kind, table, column, message}."""
    if isinstance(diff, list):  # modify_* come grouped per column
        parts = [describe_diff(d) for d in diff]
        first = parts[0] if parts else {"kind": "modify", "table": None, "column": None}
        return {
            "kind": first["kind"],
            "table": first["table"],
            "column": first["column"],
            "message": "; ".join(p["message"] for p in parts),
        }
    kind = str(diff[0])
    table: str | None = None
    column: str | None = None
    message = kind
    if kind in ("add_table", "remove_table"):
        table = diff[1].name
        message = (
            f"table {table} is in the models but no migration creates it"
            if kind == "add_table"
            else f"table {table} is created by the migrations but is not in the models"
        )
    elif kind in ("add_column", "remove_column"):
        table, column = diff[2], diff[3].name
        message = (
            f"column {table}.{column} is in the models but no migration adds it"
            if kind == "add_column"
            else f"column {table}.{column} exists after the migrations but not in the models"
        )
    elif kind in ("add_index", "remove_index"):
        index = diff[1]
        table = index.table.name if index.table is not None else None
        cols = ", ".join(c.name for c in index.columns)
        where = "in the models only" if kind == "add_index" else "in the database only"
        message = f"index {index.name} on {table}({cols}) is {where}"
    elif kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        cons = diff[1]
        table = cons.table.name if getattr(cons, "table", None) is not None else None
        cols = ", ".join(c.name for c in cons.columns) if hasattr(cons, "columns") else ""
        where = "in the models only" if kind.startswith("add") else "in the database only"
        label = "foreign key" if kind.endswith("_fk") else type(cons).__name__
        message = f"{label} {cons.name or ''} on {table}({cols}) is {where}".replace("  ", " ")
    elif kind.startswith("modify_"):
        table, column = diff[2], diff[3]
        old, new = diff[5], diff[6]
        what = kind[len("modify_") :]
        message = f"column {table}.{column} {what}: database has {old!r}, models have {new!r}"
    elif kind in ("add_table_comment", "remove_table_comment"):
        table = diff[1].name
        message = f"table {table} comment differs"
    return {"kind": kind, "table": table, "column": column, "message": message}


def diff_snapshots(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Human-readable differences between two schema snapshots."""
    out = []
    for table in sorted(set(before) | set(after)):
        if table not in after:
            out.append(f"table {table} is missing")
            continue
        if table not in before:
            out.append(f"table {table} is left over")
            continue
        b, a = before[table], after[table]
        if b is None or a is None:
            continue  # reflected by name only (a round trip that does not touch it)
        for col in sorted(set(b["columns"]) | set(a["columns"])):
            if col not in a["columns"]:
                out.append(f"column {table}.{col} is missing")
            elif col not in b["columns"]:
                out.append(f"column {table}.{col} is left over")
            elif b["columns"][col] != a["columns"][col]:
                out.append(
                    f"column {table}.{col} differs: {b['columns'][col]} vs {a['columns'][col]}"
                )
        for key in ("primary_key", "foreign_keys", "indexes", "unique"):
            if b[key] != a[key]:
                out.append(f"{key.replace('_', ' ')} of {table} differ: {b[key]} vs {a[key]}")
    return out
