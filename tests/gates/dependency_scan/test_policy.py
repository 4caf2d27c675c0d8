"""License expressions, ignore parsing, the fast YAML reader and cache robustness."""

from __future__ import annotations

import datetime as dt
import io
import marshal
from pathlib import Path

import pytest
import yaml

from qualgate.gates.dependency_scan import offline
from qualgate.gates.dependency_scan.policy import Ignore, check_license, parse_ignores

from . import records


@pytest.mark.parametrize(
    ("expressions", "allow", "deny", "outcome", "offending"),
    [
        (["MIT"], ["MIT"], [], "ok", ()),
        (["MIT License"], ["MIT"], [], "ok", ()),
        (["Apache 2.0"], [], ["Apache-2.0"], "denied", ("Apache-2.0",)),
        (["MIT OR GPL-3.0-only"], [], ["GPL-3.0-only"], "ok", ()),
        (["MIT AND GPL-3.0-only"], [], ["GPL-3.0-only"], "denied", ("GPL-3.0-only",)),
        (["(MIT OR Apache-2.0) AND BSD-3-Clause"], ["MIT", "BSD-3-Clause"], [], "ok", ()),
        (["MIT AND BSD-3-Clause"], ["MIT"], [], "not-allowed", ("BSD-3-Clause",)),
        (["GPL-2.0-or-later WITH Classpath-exception-2.0"], ["GPL-2.0-or-later"], [], "ok", ()),
        (["mit"], ["MIT"], [], "ok", ()),
        (["MIT", "ISC"], ["MIT"], [], "not-allowed", ("ISC",)),
        ([], ["MIT"], [], "unknown", ()),
        (["UNKNOWN"], ["MIT"], [], "unknown", ()),
        (["(MIT"], ["MIT"], [], "unknown", ()),
        (["MIT OR"], ["MIT"], [], "unknown", ()),
        (["MIT Apache"], ["MIT"], [], "unknown", ()),
        (["AND MIT"], ["MIT"], [], "unknown", ()),
    ],
)
def test_license_expressions(
    expressions: list[str],
    allow: list[str],
    deny: list[str],
    outcome: str,
    offending: tuple[str, ...],
) -> None:
    result = check_license(expressions, allow, deny)
    assert (result.outcome, result.offending) == (outcome, offending)


def test_ignores_accept_dates_strings_and_single_tables() -> None:
    until = dt.date(2030, 1, 2)
    parsed = parse_ignores(
        [
            {"id": " X-1 ", "reason": " r ", "until": until},
            {"id": "X-2", "reason": "r", "until": dt.datetime(2030, 1, 2, 3, 4)},
            {"id": "X-3", "reason": "r", "until": "2030-01-02", "package": "Foo"},
        ]
    )
    assert [(i.id, i.reason, i.until, i.package) for i in parsed] == [
        ("X-1", "r", until, None),
        ("X-2", "r", until, None),
        ("X-3", "r", until, "Foo"),
    ]
    assert parse_ignores({"id": "X", "reason": "r"}) == (Ignore(id="X", reason="r"),)
    assert parse_ignores(None) == ()
    assert parse_ignores(parsed) == parsed
    assert parsed[0].expired(dt.date(2030, 1, 3)) and not parsed[0].expired(until)
    with pytest.raises(ValueError, match="until"):
        parse_ignores([{"id": "X", "reason": "r", "until": 5}])


def test_fast_yaml_reader_equals_pyyaml_base_loader(osv_db: Path) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(osv_db.rglob("*.yaml"))]
    texts.append("a: [1, {b: 2020-01-01}]\nc: ~\nd: ''\n")
    texts.append("- x\n- [y, z]\n")
    texts.append("")
    for text in texts:
        expected = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - builds no objects
        assert offline.load_yaml(io.StringIO(text)) == expected
    with pytest.raises(ValueError, match="aliases"):
        offline.load_yaml(io.StringIO("a: &x 1\nb: *x\n"))


def test_corrupt_or_foreign_index_cache_is_rebuilt(osv_db: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = offline.load(osv_db, cache)
    assert not first.from_cache
    (index_file,) = (cache / "osv-index").iterdir()
    index_file.write_bytes(b"garbage")
    again = offline.load(osv_db, cache)
    assert not again.from_cache and again.records == first.records
    index_file.write_bytes(marshal.dumps({"key": "other"}))
    assert not offline.load(osv_db, cache).from_cache
    assert offline.load(osv_db, cache).from_cache
    advisories = offline.load(osv_db, cache).lookup("PyPI", "pyyaml")
    assert sorted(a.id for a in advisories) == [
        "GHSA-8q59-q68h-6hv4",
        "PYSEC-2020-96",
        "PYSEC-2021-142",
    ]


def test_unwritable_cache_only_costs_speed(osv_db: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    db = offline.load(osv_db, blocker / "cache")
    assert db.records == len(records.ALL)
    assert not db.from_cache
