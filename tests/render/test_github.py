"""GitHub workflow commands (exact escaping, order, cap) and the step summary file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualgate.render import github, markdown
from qualgate.verdict import Finding, Project, Severity, Status
from tests.render import samples
from tests.support import git_init, write_files


@pytest.fixture(autouse=True)
def _outside_any_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("%0A", "%250A", "%250A"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("a\nb\rc", "a%0Ab%0Dc", "a%0Ab%0Dc"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
        ("<&|> ünï ✓", "<&|> ünï ✓", "<&|> ünï ✓"),
    ],
)
def test_escaping(text: str, data: str, prop: str) -> None:
    assert github.escape_data(text) == data
    assert github.escape_property(text) == prop


def test_command_line_form() -> None:
    line = github.command("error", "msg\nline 2", {"file": "a,b.py", "line": 3, "title": "T: x"})
    assert line == "::error file=a%2Cb.py,line=3,title=T%3A x::msg%0Aline 2"
    assert github.command("notice", "hi") == "::notice::hi"
    # Control characters other than CR/LF are shown, not passed to the log.
    assert github.command("warning", "a\x1b[31mb\x00") == "::warning::a\\x1b[31mb\\x00"


def test_hostile_finding_exact_line() -> None:
    lines = github.render(samples.hostile()).splitlines()
    assert lines[0] == (
        "::error title=qualgate artifact-validate%3A threshold::a|b <c> is 3, wanted >= 1 and <= 2"
    )
    assert lines[1] == (
        "::error file=docs/my file #1 100%25%2Ca%3Ab|c<d>&`.md,line=2,col=3,"
        "title=qualgate artifact-validate%3A R%3A1%2C2|<&>::"
        "100%25 sure: a,b <x> & | `tick` *bold* [l](u) %0D%0Anext line ünïcødé ✓ "
        "\\x1b[31m\\x00 @here%0A"
        "100%25 sure: a,b <x> & | `tick` *bold* [l](u) %0D%0Anext line ünïcødé ✓ "
        "\\x1b[31m\\x00 @here"
    )
    # No path: no file property, still an error annotation.
    assert lines[2].startswith("::error title=qualgate artifact-validate%3A no-path::</details>")
    assert lines[3] == (
        "::warning file=ü/ñ.yaml,line=1,title=qualgate artifact-validate%3A warn::"
        "```%0A# heading%0A- item"
    )
    assert lines[-1] == (
        "qualgate artifact-validate: fail - 100% sure: a,b <x> & | `tick` *bold* [l](u) "
        "next line ünïcødé ✓ \\x1b[31m\\x00 @here"
    )
    assert len(lines) == 5


def test_order_and_cap() -> None:
    lines = github.render(samples.failing()).splitlines()
    # Check without findings and the failed threshold come first.
    assert lines[0] == "::error title=qualgate lint-format%3A format failed::2 files unformatted"
    assert lines[1] == (
        "::error title=qualgate lint-format%3A threshold::coverage.total is 83.2, wanted >= 85"
    )
    annotations = lines[2 : 2 + github.MAX_ANNOTATIONS - 2]
    kinds = [line.split(" ", 1)[0] for line in annotations]
    # 100 of the 120 findings are on changed lines, 40 of them errors: errors first,
    # located ones before project-level ones, then warnings, until the cap.
    assert kinds == ["::error"] * 40 + ["::warning"] * 8
    assert annotations[0] == (
        "::error file=src/app/m0.py,line=1,endLine=1,col=8,endColumn=10,"
        "title=qualgate lint-format%3A F401::`os` imported but unused (0)"
        "%0Ahttps://docs.astral.sh/ruff/rules/unused-import"
    )
    assert annotations[39] == (
        "::error title=qualgate lint-format%3A no-config::"
        "the project has no mypy configuration (117)"
    )
    assert lines[github.MAX_ANNOTATIONS] == (
        "::notice title=qualgate lint-format::72 more annotations not shown (GitHub shows at most "
        "50 per job); see the step summary or the JSON verdict for all of them"
    )
    assert lines[-1] == "qualgate lint-format: fail - 120 findings in 30 files"
    assert len(lines) == github.MAX_ANNOTATIONS + 2


def test_locations_and_severities() -> None:
    findings = (
        Finding(rule="N", severity=Severity.NOTE, message="n", path="a.py", line=1),
        Finding(
            rule="W",
            severity=Severity.WARNING,
            message="w",
            path="b.py",
            line=2,
            column=3,
            end_line=4,
            end_column=1,
            help="https://x.test/w",
        ),
        Finding(
            rule="O", severity=Severity.ERROR, message="old", path="c.py", line=5, existing=True
        ),
        Finding(
            rule="E",
            severity=Severity.ERROR,
            message="e",
            path="d.py",
            line=6,
            column=2,
            end_column=9,
        ),
    )
    verdict = samples.minimal().replace(status=Status.FAIL, findings=findings)
    assert github.render(verdict).splitlines() == [
        "::error file=d.py,line=6,col=2,endColumn=9,title=qualgate all%3A E::e",
        "::warning file=b.py,line=2,endLine=4,col=3,endColumn=1,title=qualgate all%3A W::w%0Ahttps://x.test/w",
        "::notice file=a.py,line=1,title=qualgate all%3A N::n",
        "::error file=c.py,line=5,title=qualgate all%3A O (existing)::old",
        "qualgate all: fail - ok",
    ]


def test_error_verdict_without_findings() -> None:
    assert github.render(samples.error()).splitlines() == [
        "::error title=qualgate migration-check::alembic is not installed in the project "
        "interpreter%0Apip install alembic",
        "qualgate migration-check: error - alembic is not installed in the project interpreter",
    ]


def test_errored_check_and_pass() -> None:
    lines = github.render(samples.error_with_checks()).splitlines()
    assert lines[:2] == [
        "::error title=qualgate run-tests::pytest timed out after 600 s%0Araise --timeout",
        "::error title=qualgate run-tests%3A pytest errored::timed out",
    ]
    assert (
        github.render(samples.passing()) == "qualgate lint-format: pass - no findings in 41 files\n"
    )
    assert github.render(samples.threshold_only()).splitlines()[0] == (
        "::error title=qualgate run-tests%3A threshold::coverage.total is unknown, wanted >= 80"
    )


def test_annotation_paths_are_relative_to_the_repository(tmp_path: Path) -> None:
    repo = git_init(write_files(tmp_path / "repo", {"svc/app.py": "x = 1\n"}))
    finding = Finding(rule="F", severity=Severity.ERROR, message="m", path="app.py", line=1)
    verdict = samples.minimal().replace(
        status=Status.FAIL,
        findings=(finding,),
        project=Project(root=os.path.relpath(repo / "svc")),
    )
    assert github.render(verdict).startswith("::error file=svc/app.py,line=1,")


# ---------------------------------------------------------------------------
# Step summary


def test_step_summary_is_appended_each_time(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    verdict = samples.failing()
    github.append_step_summary(verdict, path)
    once = path.read_text(encoding="utf-8")
    assert once == markdown.render(verdict)
    github.append_step_summary(samples.passing(), path)
    twice = path.read_text(encoding="utf-8")
    assert twice == once + "\n" + markdown.render(samples.passing())
    assert twice.count("<!-- qualgate:lint-format -->") == 2


def test_step_summary_stays_under_one_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    # Each finding renders at ~40 KiB: 50 of them would pass 1 MiB.
    big = tuple(
        Finding(rule="R", severity=Severity.ERROR, message=f"{i} " + "x" * 40_000, path=f"f{i}.py")
        for i in range(60)
    )
    verdict = samples.minimal().replace(status=Status.FAIL, findings=big)
    github.append_step_summary(verdict, path)
    text = path.read_text(encoding="utf-8")
    size = len(text.encode())
    assert size < github.STEP_SUMMARY_LIMIT
    assert size > 500_000  # trimmed to what fits, not to nothing
    assert "**Findings** (first 25 of 60, blocking first)" in text
    assert text.count("</details>") == text.count("<details>") == 1


def test_step_summary_cuts_one_huge_text_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("previous step\n" * 10_000, encoding="utf-8")
    before = path.stat().st_size
    verdict = samples.minimal().replace(metrics={f"m{i}": "y" * 150 for i in range(20_000)})
    github.append_step_summary(verdict, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("previous step\n" * 10_000)
    assert len(text.encode()) < github.STEP_SUMMARY_LIMIT
    added = text[before:]
    assert added.startswith("\n<!-- qualgate:all -->")
    assert "**Truncated:**" in added
    assert added.count("<details>") == added.count("</details>") == 1


def test_step_summary_is_not_added_to_a_full_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "summary.md"
    path.write_bytes(b"x" * (github.STEP_SUMMARY_LIMIT - 100))
    github.append_step_summary(samples.passing(), path)
    assert path.stat().st_size == github.STEP_SUMMARY_LIMIT - 100
    assert "near GitHub's 1 MiB step-summary limit" in capsys.readouterr().err


def test_unwritable_step_summary_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github.append_step_summary(samples.passing(), tmp_path / "missing-dir" / "summary.md")
    assert "could not write the step summary" in capsys.readouterr().err
