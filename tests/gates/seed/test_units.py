"""Unit tests of the seed gate's pieces: conversions, file parsing, URL safety, the worker."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Time,
    Uuid,
)
from sqlalchemy.dialects.mysql import TINYINT
from sqlalchemy.types import NullType

from qualgate import redact
from qualgate.gates.seed import convert, files, safety
from qualgate.gates.seed.convert import ConversionError

UTC = dt.timezone.utc


def _conv(kind: Any, value: Any, csv: bool = False) -> Any:
    return convert.converter_for(Column("c", kind))(value, csv)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (Integer(), 5, 5),
        (Integer(), " -12 ", -12),
        (Integer(), 3.0, 3),
        (Integer(), Decimal("4"), 4),
        (BigInteger(), "9007199254740993", 9007199254740993),
        (TINYINT(display_width=1), True, 1),
        (TINYINT(display_width=1), "no", 0),
        (TINYINT(display_width=1), "1", 1),
        (Boolean(), "Yes", True),
        (Boolean(), "off", False),
        (Boolean(), 0, False),
        (Boolean(), False, False),
        (Numeric(10, 2), 19.99, Decimal("19.99")),
        (Numeric(10, 2), "1.50", Decimal("1.50")),
        (Numeric(10, 2), "1.500", Decimal("1.500")),
        (Numeric(10, 2), 7, Decimal("7")),
        (Numeric(), Decimal("0.000001"), Decimal("0.000001")),
        (Numeric(10, 2, asdecimal=False), "2.5", 2.5),
        (Float(), "2.25", 2.25),
        (Date(), "2024-01-31", dt.date(2024, 1, 31)),
        (Date(), dt.date(2024, 1, 31), dt.date(2024, 1, 31)),
        (DateTime(), "2024-01-31T10:00:00Z", dt.datetime(2024, 1, 31, 10)),
        (DateTime(), dt.date(2024, 1, 31), dt.datetime(2024, 1, 31)),
        (
            DateTime(),
            dt.datetime(2024, 1, 31, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.datetime(2024, 1, 31, 10),
        ),
        (DateTime(timezone=True), "2024-01-31 10:00", dt.datetime(2024, 1, 31, 10, tzinfo=UTC)),
        (Time(), "10:30", dt.time(10, 30)),
        (Time(), dt.time(1, 2), dt.time(1, 2)),
        (JSON(), {"a": [1]}, {"a": [1]}),
        (JSON(), "text", "text"),
        (String(10), {"a": 1}, '{"a":1}'),
        (Enum("a", "b"), "b", "b"),
        (
            Uuid(),
            "12345678-1234-5678-1234-567812345678",
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ),
        (
            Uuid(as_uuid=False),
            "12345678123456781234567812345678",
            "12345678-1234-5678-1234-567812345678",
        ),
        (LargeBinary(), b"\x00\x01", b"\x00\x01"),
        (NullType(), object, object),
    ],
)
def test_conversions(kind: Any, value: Any, expected: Any) -> None:
    result = _conv(kind, value)
    assert result == expected
    assert type(result) is type(expected)


def test_csv_json_cell_is_parsed() -> None:
    assert _conv(JSON(), '{"a": 1}', csv=True) == {"a": 1}
    with pytest.raises(ConversionError, match="JSON text"):
        _conv(JSON(), "{oops", csv=True)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (Integer(), True, "boolean"),
        (Integer(), "1.5", "expects an integer"),
        (Integer(), 2.5, "expects an integer"),
        (Integer(), float("nan"), "expects an integer"),
        (Boolean(), "maybe", "expects a boolean"),
        (Boolean(), 2, "expects a boolean"),
        (Numeric(10, 2), "1.234", "the column keeps 2"),
        (Numeric(4, 2), "123.4", r"does not fit NUMERIC\(4, 2\)"),
        (Numeric(10, 2), "abc", "expects a number"),
        (Numeric(10, 2), "NaN", "finite"),
        (Numeric(10, 2), True, "boolean"),
        (Numeric(10, 2), [1], "expects a number"),
        (Date(), dt.datetime(2024, 1, 1, 5), "date and time"),
        (Date(), "31/01/2024", "ISO date"),
        (DateTime(), "soon", "ISO date and time"),
        (DateTime(), 5, "ISO date and time"),
        (Time(), 630, "quote it"),
        (Time(), "25:00", "ISO time"),
        (String(3), "abcd", "length 3"),
        (String(), 7, "expects text"),
        (String(), "a\x00b", "NUL"),
        (Enum("a", "b"), "c", "one of a, b"),
        (JSON(), dt.date(2024, 1, 1), "not a JSON value"),
        (Uuid(), "nope", "UUID"),
        (LargeBinary(), "text", "binary"),
    ],
)
def test_conversion_errors(kind: Any, value: Any, message: str) -> None:
    with pytest.raises(ConversionError, match=message):
        _conv(kind, value)


def test_same() -> None:
    assert convert.same(None, None)
    assert not convert.same(None, 0)
    assert convert.same(1.0000001, 1.0)
    assert not convert.same(1.1, 1.0)
    assert not convert.same(1.0, "x")
    assert convert.same(Decimal("1.50"), Decimal("1.5"))
    naive, aware = dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert not convert.same(naive, aware)
    assert convert.same(aware, aware)


def _read(tmp_path: Path, name: str, text: str) -> tuple[list[files.SeedDoc], list[Any]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return files.read_file(path, name)


def test_json_shapes(tmp_path: Path) -> None:
    docs, problems = _read(tmp_path, "a.json", '  {"table": "t", "rows": []}  ')
    assert problems == [] and docs[0].rows == ()
    docs, problems = _read(tmp_path, "b.json", "[]")
    assert docs == [] and problems == []
    docs, problems = _read(tmp_path, "c.json", "{}")
    assert problems[0].rule == "invalid-document"
    docs, problems = _read(tmp_path, "d.json", '{"table": "t", "rows": [1, {"a": 2}]}\n')
    assert [(p.rule, p.line) for p in problems] == [("invalid-document", 1)]
    assert docs[0].rows[0].values == {"a": 2}
    for bad in (
        '{"table" "t"}',
        '{"table": "t" "rows": []}',
        "[{}, {} {}]",
        "{} x",
        '{"rows": [1 2]}',
    ):
        _docs, problems = _read(tmp_path, "e.json", bad)
        assert problems[0].rule == "invalid-file", bad


def test_document_key_forms(tmp_path: Path) -> None:
    docs, problems = _read(tmp_path, "a.yaml", "table: t\nkey: [a, b]\nrows: []\n")
    assert docs[0].key == ("a", "b") and problems == []
    for bad in ("table: ''\nrows: []\n", "table: t\nkey: [1]\nrows: []\n"):
        docs, problems = _read(tmp_path, "b.yaml", bad)
        assert problems[0].rule == "invalid-document"
    docs, problems = _read(tmp_path, "c.yaml", "table: t\nrows:\n  - {1: a}\n")
    assert problems[0].line == 3
    docs, problems = _read(tmp_path, "d.yaml", "---\n...\n")
    assert docs == [] and problems == []


def test_csv_edge_cases(tmp_path: Path) -> None:
    docs, problems = _read(tmp_path, "t.csv", "")
    assert docs == [] and problems == []
    docs, problems = _read(tmp_path, "t.csv", 'a,b\n"x\n')
    assert problems[0].rule == "invalid-file"
    docs, problems = _read(tmp_path, "t.csv", '\ufeffid,name\r\n1,"a ""q"""\r\n')
    assert docs[0].size == 1
    assert docs[0].row(0).values == {"id": "1", "name": 'a "q"'}
    assert docs[0].row(0).line == 2
    assert docs[0].table == "t"
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00")
    docs, problems = files.read_file(tmp_path / "bin.csv", "bin.csv")
    assert problems[0].rule == "unreadable-file"


def test_seed_files_ignores_other_files_and_folders(tmp_path: Path) -> None:
    for name in ("b.yml", "a.JSON", "c.csv", "d.txt", "e.yaml"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "dev").mkdir()
    assert [p.name for p in files.seed_files(tmp_path)] == ["a.JSON", "b.yml", "c.csv", "e.yaml"]
    assert files.seed_files(tmp_path / "missing") == []


def test_url_parsing(tmp_path: Path) -> None:
    target = safety.parse("postgresql://u:pw@localhost/app", root=tmp_path, allow_remote=False)
    assert target.url.drivername == "postgresql+psycopg"
    assert target.shown == "postgresql+psycopg://u:***@localhost/app"
    assert safety.parse("mysql://r@127.0.0.2/x", root=tmp_path, allow_remote=False).backend == (
        "mysql"
    )
    socket = safety.parse(
        "postgresql://u@/app?host=/var/run/postgresql", root=tmp_path, allow_remote=False
    )
    assert safety.is_local(socket.url)
    remote = safety.parse("postgres://u:pw@db.internal/app", root=tmp_path, allow_remote=True)
    assert remote.url.host == "db.internal"
    assert redact.mask("postgresql://u:pw@h/d") == "postgresql://u:***@h/d"
    assert redact.mask("no url, u:pw@h") == "no url, u:pw@h"
    assert safety.production_words("shop_prod_replica") == {"prod"}
    assert safety.production_words("products") == set()
    assert redact.mask("auth failed for pw") == "auth failed for pw"


def test_metadata_worker_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qualgate.gates.seed.inproject import metadata_worker

    (tmp_path / "src" / "pkgx").mkdir(parents=True)
    (tmp_path / "src" / "pkgx" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "src" / "pkgx" / "models.py").write_text(
        "from sqlalchemy import Column, Integer, MetaData, Table\n"
        "class Holder:\n"
        "    metadata = MetaData()\n"
        "Table('t', Holder.metadata, Column('id', Integer, primary_key=True))\n"
        "Table('u', Holder.metadata, Column('id', Integer, primary_key=True),"
        " Column('x', Integer, nullable=False, server_default='no default'))\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUALGATE_SEED_URL", f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    metadata_worker.main(["w", "pkgx.models:Holder"])
    assert json.loads(capsys.readouterr().out) == {"ok": True, "tables": ["t", "u"]}
    with pytest.raises(SystemExit):
        metadata_worker.main(["w", "pkgx.models:Holder.nothing"])
    assert "has no attribute" in capsys.readouterr().out
    monkeypatch.setenv("QUALGATE_SEED_URL", f"sqlite:///{tmp_path / 'nodir' / 'w.db'}")
    with pytest.raises(SystemExit):
        metadata_worker.main(["w", "pkgx.models:Holder"])
    assert "create_all failed" in capsys.readouterr().out


class _PgError(Exception):
    sqlstate = "23505"


class _MyError(Exception):
    pass


@pytest.mark.parametrize(
    ("orig", "rule"),
    [
        (_PgError("duplicate key value violates unique constraint"), "unique-violation"),
        (_MyError(1452, "Cannot add or update a child row"), "missing-parent"),
        (_MyError(1205, "Lock wait timeout exceeded"), "timeout"),
        (Exception("FOREIGN KEY constraint failed"), "missing-parent"),
        (Exception("database is locked"), "timeout"),
        (Exception("something else"), "db-error"),
        (Exception(""), "db-error"),
    ],
)
def test_classify_database_errors(orig: Exception, rule: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from qualgate.gates.seed import dberrors

    url = make_url("postgresql://u:topsecret@localhost/db")
    error = DBAPIError("INSERT ...", {}, orig)
    assert dberrors.classify(error, url)[0] == rule
    leaky = DBAPIError("x", {}, Exception("login topsecret failed"))
    assert "topsecret" not in dberrors.classify(leaky, url)[1]


def test_every_rule_the_gate_names_is_catalogued() -> None:
    import ast
    import re

    from qualgate.gates.seed import dberrors
    from qualgate.gates.seed.rules import RULES

    package = Path(files.__file__).parent
    named: set[str] = {"db-error", "would-insert", "would-update"}
    named |= set(dberrors._SQLSTATE.values()) | set(dberrors._MYSQL.values())
    named |= {rule for _word, rule in dberrors._SQLITE_WORDS}
    literals: set[str] = set()
    for source in package.rglob("*.py"):
        if source.name == "rules.py":
            continue
        text = source.read_text(encoding="utf-8")
        named |= set(re.findall(r'(?:rule=|(?:problem|finding)\(\s*)"([a-z]+(?:-[a-z]+)+)"', text))
        literals |= {
            node.value
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
    assert named - set(RULES.rules) == set()
    # And no rule is catalogued that the code never reports.
    assert {r.id for r in RULES} - literals - {"would-insert", "would-update"} == set()
