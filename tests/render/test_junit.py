"""JUnit XML: well-formed, with the counts and elements CI test views read."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from qualgate.render import junit
from qualgate.verdict import Check, Finding, Severity, Status, Verdict
from tests.render import samples


def parse(verdict: Verdict) -> ET.Element:
    text = junit.render(verdict)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    cases = suite.findall("testcase")
    # The declared counts are the counts of the elements actually present.
    assert int(suite.get("tests", "-1")) == len(cases)
    for attr, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        found = sum(1 for c in cases if c.find(tag) is not None)
        assert int(suite.get(attr, "-1")) == found, attr
        assert root.get(attr) == suite.get(attr)
    assert root.get("tests") == suite.get("tests")
    return suite


def counts(suite: ET.Element) -> tuple[int, int, int, int]:
    return tuple(int(suite.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped"))  # type: ignore[return-value]


@pytest.mark.parametrize("sample", sorted(samples.SAMPLES))
def test_every_sample_parses_with_consistent_counts(sample: str) -> None:
    parse(samples.SAMPLES[sample]())


def test_pass_has_one_case_per_check_and_threshold() -> None:
    suite = parse(samples.passing())
    assert counts(suite) == (3, 0, 0, 0)
    assert suite.get("name") == "qualgate.lint-format"
    assert suite.get("time") == "1.234"
    assert suite.get("timestamp") == "2026-11-22T10:00:00.250000"
    names = [(c.get("classname"), c.get("name"), c.get("time")) for c in suite.iter("testcase")]
    assert names == [
        ("qualgate.lint-format", "ruff-check", "0.090"),
        ("qualgate.lint-format", "mypy", "2.000"),
        ("qualgate.lint-format.thresholds", "coverage.total >= 80", "0.000"),
    ]
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["status"] == "pass"
    assert props["commit"] == "0123456789abcdef0123"


def test_fail_lists_each_blocking_finding_as_a_failing_case() -> None:
    verdict = samples.failing()
    suite = parse(verdict)
    blocking = [f for f in verdict.findings if f.blocking]
    # 3 checks + 2 thresholds + one case per blocking finding.
    assert counts(suite) == (3 + 2 + len(blocking), 3 + 1 + len(blocking), 0, 0)
    cases = suite.findall("testcase")
    by_name = {c.get("name"): c for c in cases}
    case = by_name["F401 src/app/m0.py:1:8"]
    assert case.get("classname") == "src/app/m0.py"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "`os` imported but unused (0)"
    assert failure.get("type") == "F401"
    assert failure.text == (
        "src/app/m0.py:1:8: F401 `os` imported but unused (0)\n"
        "help: https://docs.astral.sh/ruff/rules/unused-import"
    )
    # A project-level finding is classed under its check and named by its rule alone.
    project_level = [c for c in cases if c.get("name") == "no-config"]
    assert project_level and all(
        c.get("classname") in {"mypy", "ruff-check"} for c in project_level
    )
    threshold = by_name["coverage.total >= 85"].find("failure")
    assert threshold is not None
    assert threshold.get("message") == "coverage.total is 83.2, wanted >= 85"
    check = by_name["format"].find("failure")
    assert check is not None and check.get("message") == "2 files unformatted"
    # Warnings, notes and existing findings are not test cases.
    assert len([c for c in cases if c.get("name", "").startswith("E501")]) == 0


def test_error_verdict_without_checks_is_one_error_case() -> None:
    suite = parse(samples.error())
    assert counts(suite) == (1, 0, 1, 0)
    error = suite.find("testcase/error")
    assert error is not None
    assert error.get("message") == "alembic is not installed in the project interpreter"
    assert error.text == "alembic is not installed in the project interpreter\npip install alembic"


def test_errored_check_carries_the_error() -> None:
    suite = parse(samples.error_with_checks())
    assert counts(suite) == (3, 1, 1, 0)
    pytest_case = suite.find("testcase[@name='pytest']")
    assert pytest_case is not None and pytest_case.find("error") is not None


def test_error_verdict_whose_checks_did_not_error_adds_a_gate_case() -> None:
    verdict = samples.passing().replace(status=Status.ERROR, summary="internal error: boom")
    suite = parse(verdict)
    assert counts(suite) == (4, 0, 1, 0)
    gate_case = suite.find("testcase[@name='lint-format']")
    assert gate_case is not None
    error = gate_case.find("error")
    assert error is not None and error.get("message") == "internal error: boom"


def test_skipped() -> None:
    assert counts(parse(samples.skipped())) == (1, 0, 0, 1)
    suite = parse(samples.skipped_checks())
    assert counts(suite) == (1, 0, 0, 1)
    skipped = suite.find("testcase/skipped")
    assert skipped is not None and skipped.get("message") == "nothing to load"


def test_control_characters_and_markup_are_escaped() -> None:
    text = junit.render(samples.hostile())
    assert "\x1b" not in text and "\x00" not in text
    suite = parse(samples.hostile())
    case = suite.find("testcase[@classname='docs/my file #1 100%,a:b|c<d>&`.md']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    message = failure.get("message", "")
    assert message.startswith("100% sure: a,b <x> & | `tick`")
    assert "\\x1b[31m\\x00 @here" in message
    assert "ünïcødé ✓" in message
    assert "\n" in message  # newlines in attributes survive as character references


def test_clean_maps_each_forbidden_character() -> None:
    assert junit.clean("a\x00b\x08c\x0bd\x1fe\tf\ng\rh") == "a\\x00b\\x08c\\x0bd\\x1fe\tf\ng\rh"
    assert junit.clean("\ufffe\uffff\ud800") == "\\ufffe\\uffff\\ud800"
    assert junit.clean("\U0001f600 ok") == "\U0001f600 ok"


def test_a_pass_without_checks_still_has_a_test_case() -> None:
    suite = parse(samples.minimal())
    assert counts(suite) == (1, 0, 0, 0)
    assert "timestamp" in suite.attrib


def test_missing_start_time_omits_the_timestamp() -> None:
    suite = parse(samples.minimal().replace(started_at=""))
    assert "timestamp" not in suite.attrib


def test_failed_gate_without_checks_fails_its_own_case() -> None:
    finding = Finding(rule="X", severity=Severity.WARNING, message="w")
    verdict = samples.minimal().replace(status=Status.FAIL, summary="bad", findings=(finding,))
    suite = parse(verdict)
    assert counts(suite) == (1, 1, 0, 0)
    check = Check(name="c", status=Status.PASS)
    suite = parse(verdict.replace(checks=(check,)))
    assert counts(suite) == (1, 0, 0, 0)
