"""Attacks on what every gate shares: config, verdict files, reports, output, signals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qualgate.gates import GATES
from qualgate.render import RENDERERS, render
from qualgate.verdict import Finding, Severity, Status, Verdict, from_dict, to_json
from tests.hostile.conftest import SECRET, Layout, no_secret_anywhere
from tests.support import git, git_init, run_qualgate, write_files

READERS = ("lint-format", "openapi-lint", "dependency-scan", "artifact-validate")


def test_symlinked_verdict_dir_writes_nothing_outside(layout: Layout) -> None:
    (layout.root / ".qualgate").symlink_to(layout.outside)
    run = run_qualgate("artifact-validate", str(layout.root))
    assert run.verdict is not None  # stdout still carries the verdict
    assert layout.outside_untouched()
    assert "leads outside the project" in run.stderr


def test_repo_config_may_not_point_writes_outside(layout: Layout) -> None:
    write_files(
        layout.root,
        {"pyproject.toml": '[tool.qualgate.artifact-validate]\nverdict-dir = "../outside"\n'},
    )
    run = run_qualgate("artifact-validate", str(layout.root))
    assert run.code == 2
    assert run.verdict is not None and "points outside the project" in run.verdict["summary"]
    assert layout.outside_untouched()


def test_command_line_may_point_writes_outside(layout: Layout) -> None:
    run = run_qualgate("artifact-validate", str(layout.root), "--verdict-dir", str(layout.outside))
    assert run.code == 0
    assert (layout.outside / "artifact-validate.json").is_file()


def test_symlinked_report_folder_is_not_written_through(layout: Layout) -> None:
    (layout.root / "reports").symlink_to(layout.outside)
    report = layout.root / "reports" / "out.sarif"
    run = run_qualgate("artifact-validate", str(layout.root), "--report", f"sarif:{report}")
    assert run.verdict is not None
    assert layout.outside_untouched()


def test_repo_config_may_not_set_an_option_that_widens_reach(
    fake_gate: str, layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.fake_gate as fake
    from qualgate.options import Kind, Option

    monkeypatch.setattr(
        fake,
        "OPTIONS",
        (*fake.OPTIONS, Option(name="endpoint", kind=Kind.STR, cli_only=True, help="A URL.")),
    )
    write_files(layout.root, {"pyproject.toml": '[tool.qualgate.fake]\nendpoint = "http://x"\n'})
    run = run_qualgate(fake_gate, str(layout.root))
    assert run.code == 2
    assert run.verdict is not None
    assert "cannot be set in the repository's configuration" in run.verdict["summary"]
    assert "--endpoint" in run.verdict["next_steps"][0]
    allowed = run_qualgate(fake_gate, str(layout.root), env={"QUALGATE_FAKE_ENDPOINT": "http://y"})
    assert allowed.code == 0  # the environment decides; the file's value is never read
    (layout.root / "pyproject.toml").unlink()
    assert run_qualgate(fake_gate, str(layout.root), "--endpoint", "http://y").code == 0


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://app:{SECRET}@db.internal:5432/app",
        f"postgresql://app:a/b{SECRET}@db.internal/app",
        f"postgresql://db.internal/app?user=app&password={SECRET}",
    ],
    ids=["plain", "slash", "query"],
)
def test_database_passwords_never_printed(layout: Layout, url: str) -> None:
    bad = run_qualgate("seed", str(layout.root), "--database-url", url, "--no-such-flag")
    ok = run_qualgate("seed", str(layout.root), "--database-url", url)
    text = run_qualgate("seed", str(layout.root), "--database-url", url, "--format", "text")
    shown = run_qualgate("config", str(layout.root), env={"QUALGATE_SEED_DATABASE_URL": url})
    no_secret_anywhere(
        SECRET,
        bad.stdout, bad.stderr, ok.stdout, ok.stderr, text.stdout, shown.stdout, shown.stderr,
        root=layout.root,
    )  # fmt: skip


@pytest.mark.parametrize(
    "value", ["[" * 5000 + "]" * 5000, "9" * 5000], ids=["deep-array", "huge-int"]
)
@pytest.mark.parametrize("gate", sorted(GATES))
def test_monstrous_pyproject_is_a_config_error_for_every_gate(
    layout: Layout, gate: str, value: str
) -> None:
    write_files(layout.root, {"pyproject.toml": f"[tool.other]\na = {value}\n"})
    run = run_qualgate(gate, str(layout.root))
    assert run.code == 2
    assert run.verdict is not None and run.verdict["status"] == "error"
    assert "pyproject.toml: cannot be read" in run.verdict["summary"]


def test_pyproject_linked_to_a_device_is_not_read(layout: Layout) -> None:
    (layout.root / "pyproject.toml").symlink_to("/dev/zero")
    run = run_qualgate("artifact-validate", str(layout.root), "--timeout", "20")
    assert run.verdict is not None and run.code in (0, 2)


INJECTIONS = (
    "x\n::error file=a.py,line=1::pwned",
    "  ::stop-commands::tok",
    "##[set-output name=status;]pass",
    "a ##[warning]b",
)


def _hostile_verdict() -> Verdict:
    findings = tuple(
        Finding(
            rule=f"R{i}\n::error::r",
            severity=Severity.ERROR,
            message=text,
            path=f"{text}.py",
            line=1,
            check=text,
            help=text,
        )
        for i, text in enumerate(INJECTIONS)
    )
    return Verdict(
        gate="lint-format",
        status=Status.FAIL,
        summary="\n".join(INJECTIONS),
        findings=findings,
        next_steps=INJECTIONS,
        metrics={"k\n::error::m": INJECTIONS[2]},
    )


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_format_emits_a_workflow_command(fmt: str) -> None:
    text = render(fmt, _hostile_verdict())
    for line in text.splitlines():
        assert "##[" not in line, (fmt, line)
        stripped = line.lstrip()
        if stripped.startswith("::"):
            # Only the github format's own annotations, with their data escaped.
            assert fmt == "github", (fmt, line)
            assert stripped.split(" ", 1)[0] in {"::error", "::warning", "::notice"}, line
    if fmt == "json":
        assert from_dict(json.loads(text)).summary == "\n".join(INJECTIONS)  # values unchanged


def test_verdict_file_holds_no_workflow_command_and_survives_surrogates() -> None:
    verdict = _hostile_verdict().replace(summary="name \ud800 ##[x]")
    text = to_json(verdict)
    text.encode("utf-8")
    assert "##[" not in text
    assert json.loads(text)["summary"] == "name \ufffd ##[x]"


def test_bidi_controls_are_shown_not_obeyed() -> None:
    verdict = _hostile_verdict().replace(summary="access \u202e nimda")
    for fmt in ("text", "github", "markdown"):
        out = render(fmt, verdict)
        assert "\u202e" not in out
        assert "u202e" in out


def _lint_project(layout: Layout, name: str) -> Path:
    root = layout.root
    write_files(
        root,
        {
            "pyproject.toml": (
                '[tool.ruff]\nline-length = 100\n\n[tool.ruff.lint]\nselect = ["F"]\n'
            ),
            name: "import os\n\n\ndef f():\n    return 1\n",
            ".gitattributes": "*.py -diff\n",
        },
    )
    git_init(root)
    return root


@pytest.mark.parametrize(
    "name",
    ["app.py", "naïve.py", 'quo"te.py', "sp ace.py"],
    ids=["plain", "utf8", "quote", "space"],
)
def test_base_sees_new_errors_whatever_gitattributes_and_file_names(
    layout: Layout, name: str
) -> None:
    root = _lint_project(layout, name)
    path = root / name
    path.write_text(path.read_text() + "\n\ndef g():\n    import sys\n    return 2\n")
    git(root, "add", "-A")
    run = run_qualgate(
        "lint-format", str(root), "--base", "HEAD", "--checks", "ruff", "--preset", "none"
    )
    assert run.code == 1, run.verdict
    new = [f for f in run.findings if not f.get("existing")]
    assert [f["rule"] for f in new] == ["F401"]
    assert new[0]["path"] == name
    assert any(f.get("existing") and f["rule"] == "F401" for f in run.findings)


def test_sigterm_leaves_nothing_running(tmp_path: Path) -> None:
    # Proven end to end in tests/test_pipeline.py::test_sigterm_kills_the_tests_and_...;
    # here: the handler is gone after a run, so a later SIGTERM ends the process normally.
    import signal

    before = signal.getsignal(signal.SIGTERM)
    run_qualgate("artifact-validate", str(tmp_path))
    assert signal.getsignal(signal.SIGTERM) == before
    assert os.getpid() > 0


def test_secret_option_values_are_masked_in_reproduce(layout: Layout) -> None:
    run = run_qualgate(
        "openapi-lint", str(layout.root), "--app", "off", "--app-env", f"SECRET_KEY={SECRET}"
    )
    assert run.verdict is not None
    assert "SECRET_KEY=***" in run.verdict["reproduce"]
    no_secret_anywhere(SECRET, run.stdout, run.stderr, root=layout.root)
