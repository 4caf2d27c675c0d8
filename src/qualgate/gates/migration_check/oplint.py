"""Operation lint: risky Alembic operations found in revision files with `ast`.

Rules are inspired by squawk, strong_migrations, django-migration-linter and Atlas; their
ids, default severities and rationales are in `rules.RULES`. Findings point at the
operation's line.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from qualgate.gates.migration_check.graph import RevisionFile
from qualgate.gates.migration_check.rules import POSTGRES_ONLY, RULES
from qualgate.verdict import Finding, Severity

CHECK = "operation lint"


# ---------------------------------------------------------------------------
# Helpers over the syntax tree


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return stmt
    return None


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_const(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _str_arg(call: ast.Call, index: int, name: str) -> str | None:
    node = _kw(call, name)
    if node is None and len(call.args) > index:
        node = call.args[index]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _op_names(tree: ast.Module) -> set[str]:
    """Names bound to alembic.op (``from alembic import op as o`` too)."""
    names = {"op"}
    for stmt in tree.body:  # alembic.op is imported at module level
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "alembic":
            names.update(a.asname or a.name for a in stmt.names if a.name == "op")
    return names


@dataclass(frozen=True, kw_only=True, slots=True)
class OpCall:
    """An operation call: ``op.X(...)`` or ``batch_op.X(...)`` with the batch's table."""

    name: str
    call: ast.Call
    table: str | None  # set for batch operations


def _op_calls(fn: ast.AST, op_names: set[str], nodes: list[ast.AST]) -> Iterator[OpCall]:
    batches: dict[str, str | None] = {}
    for node in nodes:
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                ctx = item.context_expr
                if (
                    isinstance(ctx, ast.Call)
                    and _callee(ctx) == "batch_alter_table"
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    batches[item.optional_vars.id] = _str_arg(ctx, 0, "table_name")
    for node in nodes:
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id in op_names:
            yield OpCall(name=node.func.attr, call=node, table=None)
        elif isinstance(owner, ast.Name) and owner.id in batches:
            yield OpCall(name=node.func.attr, call=node, table=batches[owner.id] or "?")


def _is_formatted(node: ast.expr, tainted: set[str]) -> bool:
    """Whether ``node`` is SQL text built by f-string, %, + or .format()."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        sides = (node.left, node.right)
        has_text = any(
            isinstance(s, (ast.JoinedStr, ast.BinOp))
            or (isinstance(s, ast.Constant) and isinstance(s.value, str))
            for s in sides
        )
        if isinstance(node.op, ast.Mod):
            return isinstance(node.left, (ast.Constant, ast.JoinedStr)) and has_text
        dynamic = any(not isinstance(s, ast.Constant) for s in sides)
        return has_text and dynamic
    if isinstance(node, ast.Call):
        if _callee(node) == "format" and isinstance(node.func, ast.Attribute):
            return True
        if _callee(node) == "text" and node.args:
            return _is_formatted(node.args[0], tainted)
    if isinstance(node, ast.Name):
        return node.id in tainted
    return False


@functools.lru_cache(maxsize=4096)
def walked(fn: ast.AST, op_names: frozenset[str]) -> tuple[tuple[ast.AST, ...], tuple[OpCall, ...]]:
    """Every node of ``fn`` and its operation calls, computed once per function: lint,
    rollback notes and the dynamic report all need them, and `ast.walk` is the cost."""
    nodes = list(ast.walk(fn))
    return tuple(nodes), tuple(_op_calls(fn, set(op_names), nodes))


def _tainted_names(nodes: tuple[ast.AST, ...]) -> set[str]:
    """Local names assigned formatted strings (``sql = f"..."`` then ``op.execute(sql)``)."""
    tainted: set[str] = set()
    for node in nodes:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _is_formatted(node.value, tainted)
        ):
            tainted.add(node.targets[0].id)
    return tainted


def _is_empty(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """Why ``fn`` does nothing useful, or None when it has a body."""
    body = [
        s
        for s in fn.body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        and not isinstance(s, ast.Pass)
    ]
    if not body:
        return "downgrade() is empty"
    if len(body) == 1 and isinstance(body[0], ast.Raise):
        return "downgrade() only raises: the revision is irreversible"
    return None


def _column_is_not_null(col: ast.expr) -> bool:
    return (
        isinstance(col, ast.Call)
        and _callee(col) == "Column"
        and _is_const(_kw(col, "nullable"), False)
        and (_kw(col, "server_default") is None or _is_const(_kw(col, "server_default"), None))
        and not _is_const(_kw(col, "primary_key"), True)
    )


def _column_name(col: ast.expr) -> str:
    if isinstance(col, ast.Call) and col.args:
        first = col.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return "?"


# ---------------------------------------------------------------------------
# The linter


def lint(
    rf: RevisionFile,
    *,
    postgres: bool,
    irreversible: Severity = Severity.WARNING,
    disabled: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Findings of every enabled rule for one parsed revision file."""
    if rf.tree is None:
        return []
    out: list[Finding] = []

    def add(rule_id: str, message: str, node: ast.AST, severity: Severity | None = None) -> None:
        if rule_id in disabled or (rule_id in POSTGRES_ONLY and not postgres):
            return
        out.append(
            RULES.finding(
                rule_id,
                message,
                severity=severity,
                path=rf.path,
                line=getattr(node, "lineno", 1),
                column=getattr(node, "col_offset", 0) + 1,
                check=CHECK,
                data={"revision": rf.revision},
            )
        )

    op_names = _op_names(rf.tree)
    upgrade = _function(rf.tree, "upgrade")
    downgrade = _function(rf.tree, "downgrade")
    for fn in (upgrade, downgrade):
        if fn is None:
            continue
        nodes, calls = walked(fn, frozenset(op_names))
        if fn is upgrade:
            created = {_str_arg(c.call, 0, "table_name") for c in calls if c.name == "create_table"}
            for oc in calls:
                _lint_op(oc, created, add)
        tainted = _tainted_names(nodes)
        for node in nodes:
            if (
                isinstance(node, ast.Call)
                and _callee(node) == "execute"
                and node.args
                and _is_formatted(node.args[0], tainted)
            ):
                add(
                    "execute-formatted-sql",
                    f"{fn.name}() executes SQL built by string formatting",
                    node,
                )
    if downgrade is None:
        add(
            "empty-downgrade",
            f"revision {rf.revision} has no downgrade() function",
            rf.tree.body[0] if rf.tree.body else rf.tree,
            irreversible,
        )
    else:
        reason = _is_empty(downgrade)
        # An empty downgrade of an empty upgrade (a merge point) has nothing to undo.
        nothing_to_undo = upgrade is not None and _is_empty(upgrade) == "downgrade() is empty"
        if reason and not (nothing_to_undo and reason == "downgrade() is empty"):
            add("empty-downgrade", f"{reason} (revision {rf.revision})", downgrade, irreversible)
    return out


def _lint_op(oc: OpCall, created: set[str | None], add: _Add) -> None:
    call, name = oc.call, oc.name
    # Batch ops have no table argument: their positional arguments shift left by one.
    shift = 0 if oc.table is not None else 1
    table = oc.table or _str_arg(call, 0, "table_name")
    new_table = table in created
    if name == "add_column":
        col = _kw(call, "column") or (call.args[shift] if len(call.args) > shift else None)
        if col is not None and _column_is_not_null(col) and not new_table:
            add(
                "add-not-null-column",
                f"add_column {table}.{_column_name(col)} is NOT NULL without a server_default",
                call,
            )
    elif name == "drop_column":
        column = _str_arg(call, shift, "column_name")
        add("drop-column", f"drop_column {table}.{column} deletes its data", call)
    elif name == "drop_table":
        add("drop-table", f"drop_table {table} deletes its data", call)
    elif name == "rename_table":
        new = _str_arg(call, 1, "new_table_name")
        add("rename", f"rename_table {table} -> {new}", call)
    elif name == "alter_column":
        column = _str_arg(call, shift, "column_name")
        renamed = _kw(call, "new_column_name")
        if renamed is not None:
            shown = str(renamed.value) if isinstance(renamed, ast.Constant) else "?"
            add("rename", f"alter_column renames {table}.{column} -> {shown}", call)
        if _kw(call, "type_") is not None and not new_table:
            add("alter-column-type", f"alter_column changes the type of {table}.{column}", call)
        if _is_const(_kw(call, "nullable"), False) and not new_table:
            add("set-not-null", f"alter_column makes {table}.{column} NOT NULL", call)
    elif name == "create_index":
        concurrently = _kw(call, "postgresql_concurrently")
        target = oc.table or _str_arg(call, 1, "table_name")
        if not _is_const(concurrently, True) and target not in created:
            index = _str_arg(call, 0, "index_name") or "(unnamed)"
            add(
                "create-index-not-concurrently",
                f"create_index {index} on {target} without postgresql_concurrently=True",
                call,
            )
    elif name == "create_foreign_key":
        source = oc.table or _str_arg(call, 1, "source_table")
        if source not in created:
            constraint = _str_arg(call, 0, "constraint_name")
            # An unnamed constraint (name None: the naming convention gives it one) is
            # shown as such, not as "None".
            shown = f"create_foreign_key {constraint}" if constraint else "an unnamed foreign key"
            add(
                "foreign-key-not-valid",
                f"{shown} on {source} validates every existing row",
                call,
            )


class _Add(Protocol):  # pragma: no cover - typing only
    def __call__(
        self, rule_id: str, message: str, node: ast.AST, severity: Severity | None = None
    ) -> None: ...
