"""`--format agent`: the compact rendering, on its own and on every gate's command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualgate.render import render
from qualgate.render.agent import MAX_CHARS
from qualgate.verdict import Check, Finding, Severity, Status, Threshold, Verdict
from tests.agents.helpers import add_skip, demo_project
from tests.support import run_qualgate


def finding(rule: str, line: int, **kw: object) -> Finding:
    fields: dict[str, object] = {"severity": Severity.ERROR, "message": "bad", "path": "a.py"}
    fields.update(kw)
    return Finding(rule=rule, line=line, **fields)  # type: ignore[arg-type]


def test_pass_is_one_line() -> None:
    verdict = Verdict(gate="lint-format", status=Status.PASS, summary="no findings")
    assert render("agent", verdict) == "qualgate lint-format: PASS - no findings\n"


def test_fail_lists_blocking_findings_then_fixes_then_reproduce() -> None:
    verdict = Verdict(
        gate="lint-format",
        status=Status.FAIL,
        summary="2 findings",
        findings=(
            finding("F401", 3, message="`os` imported but unused"),
            finding("E501", 9, severity=Severity.WARNING),
            finding("F811", 1, existing=True),
        ),
        thresholds=(Threshold(name="coverage.total", min=80, actual=71.5, ok=False),),
        next_steps=("run `tools/ci/lint-format.sh --fix` to apply 1 safe fix",),
        reproduce="qualgate lint-format .",
    )
    assert render("agent", verdict).splitlines() == [
        "qualgate lint-format: FAIL - 2 findings",
        "a.py:3 F401 `os` imported but unused",
        "threshold coverage.total is 71.5, wanted >= 80",
        "fix:",
        "- run `tools/ci/lint-format.sh --fix` to apply 1 safe fix",
        "reproduce: qualgate lint-format .",
    ]


def test_error_shows_the_reason_and_the_hint() -> None:
    verdict = Verdict(
        gate="run-tests",
        status=Status.ERROR,
        summary="pytest is not installed in .venv",
        next_steps=("run `.venv/bin/pip install pytest`",),
        reproduce="qualgate run-tests .",
    )
    text = render("agent", verdict)
    assert text.startswith("qualgate run-tests: ERROR - pytest is not installed in .venv\n")
    assert "- run `.venv/bin/pip install pytest`" in text


def test_all_names_the_failing_gates_and_how_to_rerun_each() -> None:
    verdict = Verdict(
        gate="all",
        status=Status.FAIL,
        summary="2 gates: 1 fail (integrity); 1 pass (lint-format)",
        checks=(
            Check(name="lint-format", status=Status.PASS),
            Check(name="integrity", status=Status.FAIL, summary="1 error"),
        ),
        findings=(finding("new-noqa", 2, check="integrity/suppressions"),),
        reproduce="qualgate all .",
    )
    lines = render("agent", verdict).splitlines()
    assert "integrity: FAIL 1 error" in lines
    assert "a.py:2 [integrity] new-noqa bad" in lines
    assert "rerun one gate: qualgate integrity ." in lines
    assert not any("lint-format" in line for line in lines[1:])


def test_long_and_hostile_text_is_one_visible_line() -> None:
    verdict = Verdict(
        gate="x",
        status=Status.FAIL,
        summary="s",
        findings=(finding("R", 1, message="line one\n::error::spoof\x1b[31m" + "y" * 5000),),
    )
    text = render("agent", verdict)
    line = text.splitlines()[1]
    assert "\\x1b" in line and "\x1b" not in text
    assert len(line) <= 400
    assert not any(row.lstrip().startswith("::") for row in text.splitlines())


@pytest.mark.parametrize("count", [1, 50, 5000])
def test_never_longer_than_the_cap_and_tail_always_kept(count: int) -> None:
    verdict = Verdict(
        gate="lint-format",
        status=Status.FAIL,
        summary=f"{count} findings",
        findings=tuple(finding("E1", i, message="m" * 300) for i in range(1, count + 1)),
        next_steps=("fix them",),
        reproduce="qualgate lint-format .",
    )
    text = render("agent", verdict)
    assert len(text) <= MAX_CHARS
    assert text.endswith("reproduce: qualgate lint-format .\n")
    assert ("more (see the reproduce command)" in text) == (count > 20)


def test_format_agent_on_a_gate_and_on_all(tmp_path: Path) -> None:
    project = demo_project(tmp_path)
    add_skip(project)
    run = run_qualgate("integrity", str(project), "--format", "agent")
    assert run.code == 1
    assert run.stdout.startswith("qualgate integrity: FAIL")
    assert "tests/test_demo.py:6 new-skip-mark" in run.stdout
    both = run_qualgate("all", str(project), "--gates", "integrity", "--format", "agent")
    assert both.code == 1
    assert both.stdout.startswith("qualgate all: FAIL")
    assert "[integrity] new-skip-mark" in both.stdout
