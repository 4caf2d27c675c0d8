"""Schema snapshots and differences, for the migration worker (loaded by path, no qualgate).

Kept apart from worker.py for size; like it, it imports only the standard library and,
inside functions, SQLAlchemy from the project's interpreter.
"""

from __future__ import annotations

from typing import Any


def snapshot_of(
    conn: Any, only: list[str] | None = None, exclude: tuple[str, ...] = ("alembic_version",)
) -> dict[str, Any]:
    """The schema as one connection sees it (tables, columns, keys, indexes).

    With ``only``, the other tables are listed without details (value None): a revision's
    round trip reflects the tables it touches, not the whole schema, four times per
    revision. ``exclude``: the version table (its name is env.py's choice).
    """
    from sqlalchemy import inspect

    insp = inspect(conn)
    every = [t for t in insp.get_table_names() if t not in exclude]
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
        label = "foreign key" if kind.endswith("_fk") else _words(type(cons).__name__)
        message = f"{label} {cons.name or ''} on {table}({cols}) is {where}".replace("  ", " ")
    elif kind.startswith("modify_"):
        table, column = diff[2], diff[3]
        old, new = diff[5], diff[6]
        what = kind[len("modify_") :]
        message = (
            f"column {table}.{column} {what}: database has {_shown(what, old)}, "
            f"models have {_shown(what, new)}"
        )
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
                    f"column {table}.{col} {_spec_change(b['columns'][col], a['columns'][col])}"
                )
        for key in ("primary_key", "foreign_keys", "indexes", "unique"):
            if b[key] != a[key]:
                out.append(_part_change(key, table, b[key], a[key]))
    return out


def _words(name: str) -> str:
    """``UniqueConstraint`` -> ``unique constraint``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()


def _shown(what: str, value: Any) -> str:
    """One side of an autogenerate ``modify_*`` difference, as a reader writes it."""
    if value is None:
        return "no default" if what == "default" else "none"
    if what == "nullable":
        return "NULL" if value else "NOT NULL"
    arg = getattr(value, "arg", None)  # a server default (DefaultClause)
    if arg is not None:
        value = getattr(arg, "text", arg)
    return str(value)


def _spec_change(expected: dict[str, Any], found: dict[str, Any]) -> str:
    """What differs of one column: only the changed parts, ``type INTEGER vs BIGINT``."""
    parts = []
    for key in sorted(set(expected) | set(found)):
        old, new = expected.get(key), found.get(key)
        if old != new:
            if key == "nullable":
                old, new = _shown(key, old), _shown(key, new)
            parts.append(f"{key} {old} vs {new}")
    return "differs: " + "; ".join(parts)


def _part_change(kind: str, table: str, expected: list[str], found: list[str]) -> str:
    """What differs of a table's keys or indexes: what is missing, what is left over."""
    label = kind.replace("_", " ")
    if kind == "primary_key":
        shown = [f"({', '.join(x)})" if x else "none" for x in (expected, found)]
        return f"{label} of {table} differs: {shown[0]} vs {shown[1]}"
    gone = [x for x in expected if x not in found]
    extra = [x for x in found if x not in expected]
    parts = [f"missing {', '.join(gone)}"] if gone else []
    parts += [f"left over {', '.join(extra)}"] if extra else []
    return f"{label} of {table} differ: {'; '.join(parts) or 'order'}"


_MISSING = object()
_PARTS = ("primary_key", "foreign_keys", "indexes", "unique")


def _items(snap: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    """A snapshot as (kind, table, name) -> value; a table's parts only when reflected."""
    out: dict[tuple[str, ...], Any] = {}
    for table, details in snap.items():
        out[("table", table)] = True
        if details is None:
            continue
        for column, spec in details["columns"].items():
            out[("column", table, column)] = spec
        for part in _PARTS:
            out[(part, table)] = details[part]
    return out


def _describe(key: tuple[str, ...], expected: Any, found: Any) -> str:
    kind, table = key[0], key[1]
    if kind == "table":
        return f"table {table} is {'left over' if expected is _MISSING else 'missing'}"
    if kind == "column":
        name = f"column {table}.{key[2]}"
        if expected is _MISSING:
            return f"{name} is left over"
        if found is _MISSING:
            return f"{name} is missing"
        return f"{name} {_spec_change(expected, found)}"
    shown = [] if expected is _MISSING else expected
    return _part_change(kind, table, shown, [] if found is _MISSING else found)


def roundtrip_residue(
    up_before: dict[str, Any],
    up_after: dict[str, Any],
    down_before: dict[str, Any],
    down_after: dict[str, Any],
) -> list[str]:
    """What one revision's downgrade failed to undo of its own upgrade.

    The four snapshots are taken around the revision's own functions, so other
    revisions (a parallel branch applied in between, interleaved) never count: each item
    the upgrade changed must be back as it was, unless something else changed it between
    the upgrade and the downgrade (that revision is the one to blame). Items the
    downgrade changes that the upgrade did not touch are reported too.
    """
    u0, u1, d0, d1 = (_items(s) for s in (up_before, up_after, down_before, down_after))
    keys = set(u0) | set(u1)
    changed = {k for k in keys if u0.get(k, _MISSING) != u1.get(k, _MISSING)}
    # A created or dropped table covers its columns and keys.
    whole = {k[1] for k in changed if k[0] == "table"}
    changed = {k for k in changed if k[0] == "table" or k[1] not in whole}
    out: list[str] = []
    for key in sorted(changed):
        if d0.get(key, _MISSING) != u1.get(key, _MISSING):
            continue  # changed again between the upgrade and the downgrade: not ours
        expected, found = u0.get(key, _MISSING), d1.get(key, _MISSING)
        if expected != found:
            out.append(_describe(key, expected, found))
    touched = {k for k in set(d0) | set(d1) if d0.get(k, _MISSING) != d1.get(k, _MISSING)}
    dropped_whole = {k[1] for k in touched if k[0] == "table"}
    for key in sorted(touched - changed):
        if key[0] != "table" and key[1] in (whole | dropped_whole):
            continue
        out.append(_describe(key, d0.get(key, _MISSING), d1.get(key, _MISSING)))
    return out
