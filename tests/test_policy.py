"""The shared policies: --base marking, masking, bounded reads, GC pausing, catalogues."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from qualgate.fsutil import ReadRefused, read_bytes_bounded, write_atomic
from qualgate.git import ChangedLines
from qualgate.policy import ALL_CHECKS, gc_paused, mark_existing, touches_change
from qualgate.redact import mask, url_secrets
from qualgate.rules import Rule, anchor, catalogue, render_markdown
from qualgate.verdict import Check, Finding, Severity, Status, Threshold, Verdict

CHANGED = ChangedLines(
    base="main", lines={"a.py": frozenset({10, 11})}, whole=frozenset({"new.py"})
)


def _f(
    path: str | None, line: int | None, *, end: int | None = None, check: str = "lint"
) -> Finding:
    return Finding(
        rule="X1", severity=Severity.ERROR, message="m", path=path, line=line, end_line=end,
        check=check,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("finding", "touches"),
    [
        (_f(None, None), True),  # project-wide: always counts
        (_f("a.py", 10), True),
        (_f("a.py", 3), False),
        (_f("a.py", None), True),  # a changed file, no line
        (_f("b.py", None), False),  # an unchanged file, no line
        (_f("new.py", 99), True),  # untracked files are wholly changed
        (_f("a.py", 5, end=10), True),  # a multi-line finding touching the change
        (_f("a.py", 5, end=9), False),
    ],
)
def test_touches_change(finding: Finding, touches: bool) -> None:
    assert touches_change(finding, CHANGED) is touches


def _verdict(*findings: Finding, thresholds: tuple[Threshold, ...] = ()) -> Verdict:
    return Verdict(
        gate="g",
        status=Status.FAIL,
        summary="2 findings",
        checks=(Check(name="lint", status=Status.FAIL), Check(name="other", status=Status.PASS)),
        findings=findings,
        thresholds=thresholds,
    )


def test_mark_existing_passes_a_verdict_that_failed_only_on_old_findings() -> None:
    out = mark_existing(_verdict(_f("a.py", 3), _f("b.py", 1)), CHANGED, ALL_CHECKS)
    assert [f.existing for f in out.findings] == [True, True]
    assert [f.severity for f in out.findings] == [Severity.ERROR, Severity.ERROR]  # kept
    assert out.status is Status.PASS
    assert out.checks[0].status is Status.PASS
    assert out.summary == "no new errors since main; 2 existing findings before main"


def test_mark_existing_keeps_a_new_error_failing() -> None:
    out = mark_existing(_verdict(_f("a.py", 3), _f("a.py", 11)), CHANGED, ALL_CHECKS)
    assert [f.existing for f in out.findings] == [True, False]
    assert out.status is Status.FAIL
    assert out.summary == "2 findings; 1 existing finding before main"


def test_mark_existing_touches_only_scoped_checks_and_respects_thresholds() -> None:
    unscoped = mark_existing(_verdict(_f("a.py", 3, check="breaking")), CHANGED, {"lint"})
    assert unscoped.findings[0].existing is False and unscoped.status is Status.FAIL
    failed = Threshold(name="coverage", min=90, actual=10, ok=False)
    out = mark_existing(_verdict(_f("a.py", 3), thresholds=(failed,)), CHANGED, ALL_CHECKS)
    assert out.findings[0].existing and out.status is Status.FAIL
    nothing = mark_existing(_verdict(_f("a.py", 10)), CHANGED, ALL_CHECKS)
    assert nothing == _verdict(_f("a.py", 10))


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgresql://u:p/ss@h:5432/db", "p/ss"),
        ("postgresql://u:p%40ss@h/db and more", "p%40ss"),
        ("mysql+pymysql://root:a:b@c@db.example:3306/x", "a:b@c"),
        ("postgresql://h/db?user=u&password=s3cr3t&sslmode=require", "s3cr3t"),
        ("host=h password=hunter22 dbname=x", "hunter22"),
        ("error: 'postgresql://u:pw123@h/db' refused", "pw123"),
    ],
)
def test_mask_hides_every_password_form(text: str, secret: str) -> None:
    masked = mask(text)
    assert secret not in masked
    assert "***" in masked
    assert secret in url_secrets(text)


def test_mask_hides_known_secrets_raw_and_decoded_and_leaves_plain_text() -> None:
    assert mask("driver said: bad password p@ss for u", ["p%40ss"]) == (
        "driver said: bad password *** for u"
    )
    for plain in ("https://docs.example/a@b", "mysql://root@h/db", "no secrets here"):
        assert mask(plain) == plain


def test_read_bytes_bounded_refuses_devices_and_large_files(tmp_path: Path) -> None:
    small = tmp_path / "s.txt"
    small.write_bytes(b"abc")
    assert read_bytes_bounded(small) == b"abc"
    with pytest.raises(ReadRefused):
        read_bytes_bounded(small, limit=2)
    with pytest.raises(ReadRefused):
        read_bytes_bounded(Path("/dev/zero"))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ReadRefused):
        read_bytes_bounded(fifo)  # never blocks: opened non-blocking, refused by type


def test_write_atomic_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "d" / "v.json"
    write_atomic(target, "{}")
    write_atomic(target, '{"a": 1}')
    assert target.read_text() == '{"a": 1}'
    assert [p.name for p in target.parent.iterdir()] == ["v.json"]


def test_gc_paused_nests_and_restores() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_catalogue_gives_findings_their_severity_and_help() -> None:
    cat = catalogue(
        "seed",
        Rule(id="bad-row", severity=Severity.ERROR, rationale="A row the table rejects."),
        Rule(id="ext", severity=Severity.NOTE, rationale="Elsewhere.", url="https://x.example/ext"),
    )
    f = cat.finding("bad-row", "row 3 is bad", path="seeds/a.yaml", line=3)
    assert f.severity is Severity.ERROR
    assert f.help == "https://github.com/qualgate/qualgate/blob/main/docs/rules/seed.md#bad-row"
    assert cat.help_url("ext") == "https://x.example/ext"
    assert anchor("Has Space_x") == "has-space_x"
    assert "## `bad-row`" in render_markdown(cat, "seed")
    with pytest.raises(ValueError, match="duplicate"):
        catalogue("g", cat.rules["ext"], cat.rules["ext"])


def test_mark_existing_keeps_an_error_verdict_an_error() -> None:
    errored = _verdict(_f("a.py", 3)).replace(status=Status.ERROR, summary="a tool is missing")
    out = mark_existing(errored, CHANGED, ALL_CHECKS)
    assert out.status is Status.ERROR
    assert out.findings[0].existing
    assert out.summary == "a tool is missing; 1 existing finding before main"
