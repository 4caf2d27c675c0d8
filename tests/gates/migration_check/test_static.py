"""Static checks of migration-check: revision graph, operation lint, rollback notes, --base."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualgate.gates.migration_check import graph, oplint, project, rollback
from qualgate.gates.migration_check.rules import LINT_RULES
from qualgate.verdict import Severity
from tests.gates.migration_check.factory import (
    ALEMBIC_INI,
    CREATE_USERS,
    good_chain,
    make_project,
    revision,
)
from tests.support import git, git_init, run_qualgate

V = "migrations/versions"


def static(root: Path, *args: str) -> tuple[int, dict[str, object], list[dict[str, object]]]:
    run = run_qualgate("migration-check", str(root), "--static-only", *args)
    assert run.verdict is not None, run.stdout + run.stderr
    return run.code, run.verdict, run.findings


def by_rule(findings: list[dict[str, object]], rule: str) -> list[dict[str, object]]:
    return [f for f in findings if f["rule"] == rule]


# ---------------------------------------------------------------------------
# Revision graph


def test_good_chain_passes_static_checks(tmp_path: Path) -> None:
    code, verdict, findings = static(make_project(tmp_path, good_chain()))
    assert code == 0, verdict
    assert findings == []
    assert verdict["metrics"]["revisions"] == 2  # type: ignore[index]
    assert verdict["metrics"]["heads"] == ["0002"]  # type: ignore[index]
    notes = verdict["metrics"]["rollback"]  # type: ignore[index]
    assert [(n["revision"], n["undoes"]) for n in notes] == [("0001", "yes"), ("0002", "yes")]
    assert notes[1]["downgrade_drops"] == ["column users.nick"]


def test_two_heads_is_an_error_at_each_head(tmp_path: Path) -> None:
    revs = good_chain()
    revs[f"{V}/0003_other.py"] = revision("0003", "0001", "pass", "pass")
    code, _, findings = static(make_project(tmp_path, revs))
    assert code == 1
    heads = by_rule(findings, "multiple-heads")
    assert [(f["path"], f["line"]) for f in heads] == [
        (f"{V}/0002_nick.py", 5),
        (f"{V}/0003_other.py", 5),
    ]
    assert "join them with `alembic merge heads`" in str(heads[0]["message"])


def test_missing_down_revision_target(tmp_path: Path) -> None:
    revs = good_chain()
    revs[f"{V}/0002_nick.py"] = revision("0002", "ffff", "pass", "pass")
    code, _, findings = static(make_project(tmp_path, revs))
    assert code == 1
    (missing,) = by_rule(findings, "missing-down-revision")
    assert missing["path"] == f"{V}/0002_nick.py"
    assert missing["line"] == 6
    assert "names ffff" in str(missing["message"])


def test_missing_down_revision_assignment(tmp_path: Path) -> None:
    text = revision("0002", "0001").replace("down_revision = '0001'\n", "")
    revs = {**good_chain(), f"{V}/0002_nick.py": text}
    code, _, findings = static(make_project(tmp_path, revs))
    assert code == 1
    (missing,) = by_rule(findings, "missing-down-revision")
    assert "no `down_revision` assignment" in str(missing["message"])


def test_duplicate_revision_id(tmp_path: Path) -> None:
    revs = {**good_chain(), f"{V}/0003_copy.py": revision("0002", "0001")}
    code, _, findings = static(make_project(tmp_path, revs))
    assert code == 1
    (dup,) = by_rule(findings, "duplicate-revision")
    assert dup["path"] == f"{V}/0003_copy.py"
    assert "also used by migrations/versions/0002_nick.py" in str(dup["message"])


def test_cycle_and_merge_revision() -> None:
    files = [
        graph.parse(revision("a", "c"), "a.py"),
        graph.parse(revision("b", "a"), "b.py"),
        graph.parse(revision("c", "b"), "c.py"),
        graph.parse(revision("d", "c"), "d.py"),
    ]
    chain = graph.build(files)
    cycles = [f for f in chain.findings if f.rule == "revision-cycle"]
    assert sorted(f.path for f in cycles) == ["a.py", "b.py", "c.py"]  # not d, behind it
    assert chain.broken
    merge = graph.build(
        [
            graph.parse(revision("a", None), "a.py"),
            graph.parse(revision("b", "a"), "b.py"),
            graph.parse(revision("c", "a"), "c.py"),
            graph.parse(revision("m", ("b", "c")), "m.py"),
        ]
    )
    assert [(f.rule, f.severity) for f in merge.findings] == [("merge-revision", Severity.NOTE)]
    assert merge.heads == ("m",)
    assert merge.order == ("a", "b", "c", "m")
    assert not merge.broken


def test_unreadable_revisions_are_findings(tmp_path: Path) -> None:
    revs = {
        **good_chain(),
        f"{V}/0003_broken.py": "revision = '0003'\ndef upgrade(:\n",
        f"{V}/0004_dynamic.py": "import os\nrevision = os.environ['R']\ndown_revision = None\n",
        f"{V}/0005_none.py": "x = 1\n",
    }
    code, _, findings = static(make_project(tmp_path, revs))
    assert code == 1
    bad = sorted((f["path"], f["line"]) for f in by_rule(findings, "unparsable-revision"))
    assert bad == [
        (f"{V}/0003_broken.py", 2),
        (f"{V}/0004_dynamic.py", 2),
        (f"{V}/0005_none.py", 1),
    ]


def test_annotated_assignments_are_read() -> None:
    text = (
        "from typing import Union\n"
        "revision: str = 'abc'\n"
        "down_revision: Union[str, None] = ('x', 'y')\n"
        "depends_on = 'z'\n"
    )
    rf = graph.parse(text, "r.py")
    assert (rf.revision, rf.down_revisions, rf.depends_on) == ("abc", ("x", "y"), ("z",))
    assert rf.error is None


# ---------------------------------------------------------------------------
# Operation lint


def lint_text(upgrade: str, downgrade: str = "op.drop_table('x')", **kw: object) -> list[str]:
    rf = graph.parse(revision("r1", None, upgrade, downgrade), "r1.py")
    return [f"{f.rule}:{f.line}:{f.severity.value}" for f in oplint.lint(rf, **kw)]  # type: ignore[arg-type]


def test_not_null_column_without_default_is_an_error() -> None:
    body = """
    op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))
    op.add_column("users", sa.Column("ok", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("maybe", sa.Integer()))
    """
    assert lint_text(body, postgres=False) == ["add-not-null-column:12:error"]


def test_not_null_in_a_new_table_or_batch_is_judged_correctly() -> None:
    body = """
    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))
    op.add_column("t", sa.Column("a", sa.Integer(), nullable=False))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("b", sa.Integer(), nullable=False))
        batch_op.drop_column("c")
    """
    assert lint_text(body, postgres=False) == [
        "add-not-null-column:15:error",
        "drop-column:16:warning",
    ]


def test_destructive_rename_and_type_rules() -> None:
    body = """
    op.drop_column("users", "nick")
    op.drop_table("old")
    op.rename_table("a", "b")
    op.alter_column("users", "email", new_column_name="mail")
    op.alter_column("users", "age", type_=sa.BigInteger())
    op.alter_column("users", "name", nullable=False)
    """
    assert lint_text(body, postgres=False) == [
        "drop-column:12:warning",
        "drop-table:13:warning",
        "rename:14:warning",
        "rename:15:warning",
        "alter-column-type:16:warning",
        "set-not-null:17:warning",
    ]


def test_postgres_only_rules_follow_the_target() -> None:
    body = """
    op.create_index("ix_users_email", "users", ["email"])
    op.create_index("ix_ok", "users", ["email"], postgresql_concurrently=True)
    op.create_foreign_key("fk_a", "orders", "users", ["user_id"], ["id"])
    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_index("ix_t", "t", ["id"])
    """
    assert lint_text(body, postgres=False) == []
    assert lint_text(body, postgres=True) == [
        "create-index-not-concurrently:12:warning",
        "foreign-key-not-valid:14:note",
    ]


def test_formatted_sql_in_execute_is_an_error() -> None:
    body = """
    name = "users"
    op.execute(f"DELETE FROM {name}")
    op.execute("DELETE FROM %s" % name)
    op.execute("DELETE FROM " + name)
    op.execute("DELETE FROM {}".format(name))
    op.execute(sa.text(f"DELETE FROM {name}"))
    sql = f"DROP TABLE {name}"
    op.get_bind().execute(sql)
    op.execute("DELETE FROM users")
    op.execute(sa.text("DELETE FROM users WHERE id = :id").bindparams(id=1))
    """
    found = lint_text(body, postgres=False)
    assert found == [f"execute-formatted-sql:{n}:error" for n in (13, 14, 15, 16, 17, 19)]


def test_empty_or_missing_downgrade() -> None:
    up = 'op.execute("SELECT 1")'
    assert lint_text(up, "pass", postgres=False) == ["empty-downgrade:15:warning"]
    assert lint_text(up, '"""nothing"""', postgres=False) == ["empty-downgrade:15:warning"]
    assert lint_text("pass", "raise NotImplementedError", postgres=False) == [
        "empty-downgrade:15:warning"
    ]
    assert lint_text(up, "pass", postgres=False, irreversible=Severity.ERROR) == [
        "empty-downgrade:15:error"
    ]
    # A merge point: nothing upgraded, nothing to undo.
    assert lint_text("pass", "pass", postgres=False) == []
    rf = graph.parse("revision = 'a'\ndown_revision = None\ndef upgrade():\n    pass\n", "a.py")
    assert [(f.rule, f.line) for f in oplint.lint(rf, postgres=False)] == [("empty-downgrade", 1)]


def test_disabled_rules_and_aliases() -> None:
    body = 'o.drop_column("users", "nick")'
    text = revision("r", None, body, "o.add_column('users', sa.Column('nick', sa.String()))")
    text = text.replace("from alembic import op", "from alembic import op as o")
    rf = graph.parse(text, "r.py")
    assert [f.rule for f in oplint.lint(rf, postgres=False)] == ["drop-column"]
    assert oplint.lint(rf, postgres=False, disabled=frozenset({"drop-column"})) == []


def test_lint_rule_list_and_cli_options(tmp_path: Path) -> None:
    run = run_qualgate("migration-check", str(tmp_path), "--list-rules")
    assert run.code == 0
    for rule in LINT_RULES:
        assert rule in run.stdout
    make_project(tmp_path, good_chain())
    code, verdict, _ = static(tmp_path, "--disable", "no-such-rule")
    assert code == 2
    assert "unknown rule no-such-rule" in str(verdict["summary"])


def test_static_only_cli_reports_file_and_line(tmp_path: Path) -> None:
    revs = good_chain()
    revs[f"{V}/0003_age.py"] = revision(
        "0003",
        "0002",
        'op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))',
        'op.drop_column("users", "age")',
    )
    code, verdict, findings = static(make_project(tmp_path, revs), "--irreversible", "error")
    assert code == 1
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [
        ("add-not-null-column", f"{V}/0003_age.py", 12)
    ]
    assert findings[0]["check"] == "operation lint"
    assert "static checks only" in str(verdict["summary"])


def test_rollback_notes() -> None:
    rf = graph.parse(
        revision(
            "r",
            None,
            CREATE_USERS + '\nop.create_index("ix_email", "users", ["email"])\n'
            'op.drop_column("other", "legacy")',
            'op.drop_table("users")',
        ),
        "r.py",
    )
    note = rollback.note(rf)
    assert note["undoes"] == "no"
    assert note["not_undone"] == ["index ix_email", "re-create column other.legacy"]
    assert note["downgrade_drops"] == ["table users"]
    up_sql = "op.execute('UPDATE t SET a = 1')"
    opaque = graph.parse(revision("s", None, up_sql, "op.execute('UPDATE t SET a = 0')"), "s.py")
    assert rollback.note(opaque)["undoes"] == "unknown"
    empty = graph.parse(revision("s", None, up_sql, "pass"), "s.py")
    assert rollback.note(empty)["undoes"] == "no"


# ---------------------------------------------------------------------------
# --base: lint only what was added since REF


def test_base_lints_only_added_revisions(tmp_path: Path) -> None:
    revs = good_chain()
    revs[f"{V}/0002_nick.py"] = revision("0002", "0001", 'op.drop_column("users", "x")', "pass")
    root = git_init(make_project(tmp_path, revs))
    (root / V / "0003_new.py").write_text(
        revision("0003", "0002", 'op.drop_table("old")', 'op.create_table("old")'), "utf-8"
    )
    code, verdict, findings = static(root, "--base", "main")
    assert code == 0
    assert [(f["rule"], f["path"]) for f in findings] == [("drop-table", f"{V}/0003_new.py")]
    assert verdict["metrics"]["linted"] == 1  # type: ignore[index]
    assert [n["revision"] for n in verdict["metrics"]["rollback"]] == ["0003"]  # type: ignore[index]
    # Editing a revision that existed at the base is flagged.
    path = root / V / "0001_users.py"
    path.write_text(path.read_text("utf-8") + "\n# edited\n", "utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "edit")
    _, _, findings = static(root, "--base", "HEAD~1")
    assert ("modified-revision", f"{V}/0001_users.py") in [(f["rule"], f["path"]) for f in findings]


# ---------------------------------------------------------------------------
# alembic.ini


def test_no_alembic_ini_is_skipped(tmp_path: Path) -> None:
    run = run_qualgate("migration-check", str(tmp_path))
    assert run.code == 0
    assert run.verdict is not None
    assert run.verdict["status"] == "skipped"
    assert "alembic.ini does not exist" in run.verdict["summary"]


@pytest.mark.parametrize(
    ("ini", "expected"),
    [
        ("[other]\nscript_location = migrations\n", "has no [alembic] section"),
        ("[alembic]\nsqlalchemy.url = sqlite://\n", "has no script_location"),
        ("[alembic]\nscript_location = nowhere\n", "has no env.py"),
        ("not an ini", "is not a valid ini file"),
    ],
)
def test_bad_alembic_ini_is_an_error(tmp_path: Path, ini: str, expected: str) -> None:
    make_project(tmp_path, good_chain(), extra={"alembic.ini": ini})
    code, verdict, _ = static(tmp_path)
    assert code == 2
    assert expected in str(verdict["summary"])


def test_sections_and_version_locations(tmp_path: Path) -> None:
    ini = ALEMBIC_INI + (
        "\n[second]\nscript_location = %(here)s/migrations\n"
        "version_locations = %(here)s/v1 %(here)s/v2\nrecursive_version_locations = true\n"
        "sqlalchemy.url = postgresql://u:p@h/db\n"
    )
    make_project(
        tmp_path,
        {"v1/a.py": revision("a", None), "v2/sub/b.py": revision("b", "a")},
        extra={"alembic.ini": ini},
    )
    proj = project.load(tmp_path, "alembic.ini", "second")
    assert [p.relative_to(tmp_path).as_posix() for p in proj.revision_files()] == [
        "v1/a.py",
        "v2/sub/b.py",
    ]
    code, verdict, findings = static(tmp_path, "--name", "second")
    assert code == 0, findings
    assert verdict["metrics"]["dialect"] == "postgresql"  # type: ignore[index]
    assert verdict["metrics"]["revisions"] == 2  # type: ignore[index]


def test_static_lint_is_fast_on_many_files(tmp_path: Path) -> None:
    # 300 files here; the benchmark measures 1,000 (goal: under a second).
    revs = {f"{V}/{i:04d}.py": revision(f"r{i}", f"r{i - 1}" if i else None) for i in range(300)}
    code, verdict, _ = static(
        make_project(tmp_path, revs, models=None), "--disable", "empty-downgrade"
    )
    assert code == 0
    assert verdict["metrics"]["revisions"] == 300  # type: ignore[index]
    assert verdict["duration_ms"] < 3000  # type: ignore[operator]


def test_package_script_location_and_unreadable_ini(tmp_path: Path) -> None:
    ini = "[alembic]\nscript_location = myapp:migrations\n"
    make_project(tmp_path, {}, extra={"alembic.ini": ini, "src/myapp/migrations/env.py": ""})
    proj = project.load(tmp_path, "alembic.ini", None)
    assert proj.script_location == tmp_path / "src" / "myapp" / "migrations"
    assert proj.revision_files() == []  # no versions folder yet
    assert project.has_section(tmp_path / "alembic.ini")
    (tmp_path / "bad.ini").write_bytes(b"\xff\xfe[alembic")
    assert project.has_section(tmp_path / "bad.ini")  # let the loader report the real error


def test_rollback_notes_pair_inverse_operations() -> None:
    up = """
    op.rename_table("a", "b")
    op.alter_column("b", "x", type_=sa.BigInteger())
    op.create_index("ix_b_x", "b", ["x"])
    op.create_unique_constraint("uq_b_x", "b", ["x"])
    with op.batch_alter_table("b") as batch_op:
        batch_op.add_column(sa.Column("y", sa.Integer()))
    """
    down = """
    with op.batch_alter_table("b") as batch_op:
        batch_op.drop_column("y")
    op.drop_constraint("uq_b_x", "b")
    op.drop_index("ix_b_x", table_name="b")
    op.alter_column("b", "x", type_=sa.Integer())
    op.rename_table("b", "a")
    """
    note = rollback.note(graph.parse(revision("r", None, up, down), "r.py"))
    assert note["undoes"] == "yes", note
    assert note["downgrade_drops"] == [
        "column b.y",
        "constraint uq_b_x",
        "index ix_b_x",
        "table b",
    ]
    half = rollback.note(graph.parse(revision("r", None, up, 'op.rename_table("b", "a")'), "r.py"))
    assert half["undoes"] == "no"
    assert half["not_undone"] == [
        "column b.y",
        "constraint uq_b_x",
        "index ix_b_x",
        "revert column b.x",
    ]


def test_touched_tables() -> None:
    rf = graph.parse(revision("r", None, CREATE_USERS, 'op.drop_table("users")'), "r.py")
    assert rollback.touched_tables(rf) == ["users"]
    raw = graph.parse(revision("r", None, "op.execute('DROP TABLE x')", "pass"), "r.py")
    assert rollback.touched_tables(raw) is None


def test_base_marks_graph_findings_of_untouched_files_existing(tmp_path: Path) -> None:
    root = git_init(make_project(tmp_path, good_chain()))
    (root / V / "0003_branch.py").write_text(revision("0003", "0001"), "utf-8")
    code, _, findings = static(root, "--base", "main", "--disable", "empty-downgrade")
    assert code == 1
    heads = {f["path"]: f.get("existing", False) for f in by_rule(findings, "multiple-heads")}
    assert heads == {f"{V}/0002_nick.py": True, f"{V}/0003_branch.py": False}
