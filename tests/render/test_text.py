"""The terminal rendering: order, clickable locations, and no raw control characters."""

from __future__ import annotations

import pytest

from qualgate.render import text
from qualgate.verdict import Finding, Severity, Status
from tests.render import samples


def test_order_locations_and_summary_line() -> None:
    findings = (
        Finding(rule="N", severity=Severity.NOTE, message="n", path="b.py", line=1),
        Finding(
            rule="O", severity=Severity.ERROR, message="old", path="a.py", line=9, existing=True
        ),
        Finding(rule="P", severity=Severity.ERROR, message="project-wide"),
        Finding(rule="E", severity=Severity.ERROR, message="e", path="z.py", line=3, column=4),
        Finding(rule="W", severity=Severity.WARNING, message="w", path="a.py", help="see docs"),
    )
    verdict = samples.minimal().replace(status=Status.FAIL, summary="5 findings", findings=findings)
    assert text.render(verdict) == (
        "z.py:3:4: error [E] e\n"
        "error [P] project-wide\n"
        "a.py: warning [W] w\n"
        "    help: see docs\n"
        "b.py:1: note [N] n\n"
        "a.py:9: error (existing) [O] old\n"
        "\n"
        "FAIL all: 5 findings (0 ms)\n"
    )


def test_checks_thresholds_and_next_steps() -> None:
    out = text.render(samples.failing())
    assert "  FAIL coverage.total 83.2 (want >= 85)\n" in out
    assert "  ok   duration.max 12 (want <= 60)\n" in out
    assert "  fail    format (20 ms, 0 findings) - 2 files unformatted\n" in out
    assert "  fail    ruff-check (90 ms, 60 findings)\n" in out
    assert out.endswith(
        "FAIL lint-format: 120 findings in 30 files (1234 ms)\n"
        "  -> run `tools/ci/lint-format.sh --fix` to apply 20 safe fixes\n"
    )
    assert (
        text.render(samples.passing()).count("  pass    ruff-check 0.17.5 (90 ms, 0 findings)") == 1
    )
    assert "  FAIL coverage.total n/a (want >= 80)" in text.render(samples.threshold_only())


def test_long_lists_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "MAX_FINDINGS", 10)
    out = text.render(samples.failing())
    assert "... and 110 more findings (see --format json)" in out


def test_control_characters_are_shown_and_lines_indented() -> None:
    out = text.render(samples.hostile())
    assert "\x1b" not in out and "\x00" not in out and "\r" not in out
    first = out.splitlines()[0]
    assert first == (
        "docs/my file #1 100%,a:b|c<d>&`.md:2:3: error [R:1,2|<&>] "
        "100% sure: a,b <x> & | `tick` *bold* [l](u) "
    )
    assert out.splitlines()[1] == "    next line ünïcødé ✓ \\x1b[31m\\x00 @here"
    assert text.safe("a\rb") == "a\\x0db"
    assert text.safe("a\r\nb") == "a\n    b"


def test_error_and_skip() -> None:
    assert text.render(samples.error()) == (
        "ERROR migration-check: alembic is not installed in the project interpreter (1234 ms)\n"
        "  -> pip install alembic\n"
    )
    assert text.render(samples.skipped()) == (
        "SKIPPED openapi-lint: no OpenAPI documents found (1234 ms)\n"
    )


def test_help_shows_once_per_rule() -> None:
    findings = tuple(
        Finding(rule="R1", severity=Severity.WARNING, message=f"m{i}", path="a.py", line=i,
                help="https://example.com/r1")
        for i in range(1, 4)
    )  # fmt: skip
    out = text.render(samples.minimal().replace(findings=findings))
    assert out.count("help: https://example.com/r1") == 1


def test_all_groups_findings_and_thresholds_under_their_gate() -> None:
    from qualgate.verdict import Check, Threshold

    verdict = samples.minimal().replace(
        gate="all",
        status=Status.FAIL,
        summary="2 gates",
        checks=(
            Check(name="lint-format", status=Status.FAIL),
            Check(name="run-tests", status=Status.PASS),
        ),
        findings=(
            Finding(rule="F401", severity=Severity.ERROR, message="unused", path="x.py", line=1,
                    check="lint-format/ruff-check", help="https://h/f401"),
            Finding(rule="F401", severity=Severity.ERROR, message="unused", path="y.py", line=1,
                    check="lint-format/ruff-check", help="https://h/f401"),
        ),
        thresholds=(Threshold(name="run-tests:coverage.total", min=80, actual=91.0, ok=True),),
    )  # fmt: skip
    out = text.render(verdict)
    assert out.startswith(
        "lint-format:\n"
        "x.py:1: error [lint-format F401] unused\n"
        "    help: https://h/f401\n"
        "y.py:1: error [lint-format F401] unused\n"
        "\n"
        "run-tests:\n"
        "  ok   coverage.total 91 (want >= 80)\n"
    )
