"""Rollback notes: what a revision's upgrade does, and whether its downgrade undoes it (static)."""

from __future__ import annotations

import ast
from typing import Any

from qualgate.gates.migration_check.graph import RevisionFile
from qualgate.gates.migration_check.oplint import (
    OpCall,
    _callee,
    _function,
    _is_empty,
    _op_names,
    _str_arg,
    walked,
)

_CONSTRAINTS = (
    "create_foreign_key",
    "create_unique_constraint",
    "create_check_constraint",
    "create_primary_key",
    "create_exclude_constraint",
)


def _effects(fn: ast.AST | None, op_names: set[str]) -> tuple[set[str], set[str], set[str], bool]:
    """(created, dropped, altered, opaque) items of one function."""
    created: set[str] = set()
    dropped: set[str] = set()
    altered: set[str] = set()
    opaque = False
    if fn is None:
        return created, dropped, altered, opaque
    for oc in walked(fn, frozenset(op_names))[1]:
        _one(oc, created, dropped, altered)
        if oc.name in ("execute", "bulk_insert") or oc.name.startswith("run_"):
            opaque = opaque or oc.name == "execute"
    return created, dropped, altered, opaque


def _one(oc: OpCall, created: set[str], dropped: set[str], altered: set[str]) -> None:
    call, name = oc.call, oc.name
    shift = 0 if oc.table is not None else 1
    table = oc.table or _str_arg(call, 0, "table_name")
    if name == "create_table":
        created.add(f"table {table}")
    elif name == "drop_table":
        dropped.add(f"table {table}")
    elif name == "rename_table":
        new = _str_arg(call, 1, "new_table_name")
        dropped.add(f"table {table}")
        created.add(f"table {new}")
    elif name == "add_column":
        col = call.args[shift] if len(call.args) > shift else None
        col_name = "?"
        if isinstance(col, ast.Call) and col.args and isinstance(col.args[0], ast.Constant):
            col_name = str(col.args[0].value)
        created.add(f"column {table}.{col_name}")
    elif name == "drop_column":
        dropped.add(f"column {table}.{_str_arg(call, shift, 'column_name')}")
    elif name == "alter_column":
        altered.add(f"column {table}.{_str_arg(call, shift, 'column_name')}")
    elif name == "create_index":
        created.add(f"index {_str_arg(call, 0, 'index_name')}")
    elif name == "drop_index":
        dropped.add(f"index {_str_arg(call, 0, 'index_name')}")
    elif name in _CONSTRAINTS:
        created.add(f"constraint {_str_arg(call, 0, 'constraint_name')}")
    elif name == "drop_constraint":
        dropped.add(f"constraint {_str_arg(call, 0, 'constraint_name')}")


def touched_tables(rf: RevisionFile) -> list[str] | None:
    """Tables the revision's operations name (an over-estimate), or None when raw SQL or
    code qualgate cannot follow may touch any table."""
    if rf.tree is None:
        return None
    op_names = frozenset(_op_names(rf.tree))
    names: set[str] = set()
    for fn_name in ("upgrade", "downgrade"):
        fn = _function(rf.tree, fn_name)
        if fn is None:
            continue
        nodes, calls = walked(fn, op_names)
        if any(isinstance(n, ast.Call) and _callee(n) == "execute" for n in nodes):
            return None
        for oc in calls:
            if oc.table is not None:
                names.add(oc.table)
            args = [*oc.call.args, *(k.value for k in oc.call.keywords)]
            names.update(
                a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)
            )
    return sorted(names)


def created(rf: RevisionFile) -> set[str]:
    """What the revision's upgrade creates ("table users", "column users.nick", ...)."""
    if rf.tree is None or rf.revision is None:
        return set()
    return _effects(_function(rf.tree, "upgrade"), _op_names(rf.tree))[0]


def note(rf: RevisionFile) -> dict[str, Any]:
    """One revision's rollback note: undoes yes/no/unknown, what is left, what is dropped."""
    if rf.tree is None:
        return {"revision": rf.revision, "path": rf.path, "undoes": "unknown"}
    op_names = _op_names(rf.tree)
    up_c, up_d, up_a, up_opaque = _effects(_function(rf.tree, "upgrade"), op_names)
    down_fn = _function(rf.tree, "downgrade")
    dn_c, dn_d, dn_a, dn_opaque = _effects(down_fn, op_names)
    # Dropping a table (not renaming it) also drops its columns.
    down_calls = walked(down_fn, frozenset(op_names))[1] if down_fn is not None else ()
    dropped_tables = {
        oc.table or _str_arg(oc.call, 0, "table_name")
        for oc in down_calls
        if oc.name == "drop_table"
    }

    def covered(item: str) -> bool:
        if item in dn_d:
            return True
        kind, _, rest = item.partition(" ")
        return kind == "column" and rest.split(".")[0] in dropped_tables

    missing = sorted(i for i in up_c if not covered(i))
    missing += sorted(f"re-create {i}" for i in up_d if i not in dn_c)
    missing += sorted(f"revert {i}" for i in up_a if i not in dn_a)
    if down_fn is None or (_is_empty(down_fn) and (up_c or up_d or up_a or up_opaque)):
        undoes = "no"
    elif not missing and not up_opaque:
        undoes = "yes"
    elif up_opaque or dn_opaque:
        undoes = "unknown"
    else:
        undoes = "no"
    return {
        "revision": rf.revision,
        "path": rf.path,
        "undoes": undoes,
        "not_undone": missing,
        "downgrade_drops": sorted(dn_d),
    }
