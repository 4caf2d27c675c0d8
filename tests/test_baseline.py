"""The baseline ratchet: `qualgate baseline write` records today's error findings, later runs
fail only on others (wherever they are), and `baseline check` fails until fixed findings
are dropped from the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualgate.cache import signature
from qualgate.gates import GATES, GateInfo
from tests.support import read_verdict_file, run_qualgate, write_files


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr(signature, "package_sig", lambda _package: "this qualgate")


@pytest.fixture
def project(fake_gate: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setitem(
        GATES, "fake2", GateInfo(name="fake2", module="tests.fake_gate", help="f", wrapper="-")
    )
    return write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": (
                '[tool.qualgate.all]\ngates = ["fake", "fake2"]\n\n'
                '[tool.qualgate.fake]\nmode = "fail"\n\n'
                '[tool.qualgate.fake2]\nmode = "pass"\n'
            ),
            # The fake gate reports F1 on app.py line 2.
            "app.py": "a = 1\nb = 2\n",
        },
    )


def baseline_of(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / ".qualgate/baseline.json").read_text())
    return data


def test_write_records_error_findings_per_gate(project: Path) -> None:
    assert run_qualgate("fake", str(project)).code == 1
    written = run_qualgate("baseline", "write", str(project), "--format", "json")
    assert written.code == 0, written.stdout
    assert written.verdict is not None
    assert written.verdict["gate"] == "baseline"
    assert written.verdict["metrics"]["recorded"] == {"fake": 1}
    data = baseline_of(project)
    assert data["format"] == 1
    (entry,) = data["gates"]["fake"].values()  # type: ignore[index]
    assert entry == {"rule": "F1", "path": "app.py", "message": "bad thing"}
    assert "fake2" not in data["gates"]  # type: ignore[operator]


def test_baselined_findings_are_existing_and_new_ones_fail_wherever_they_are(
    project: Path,
) -> None:
    run_qualgate("baseline", "write", str(project))
    known = run_qualgate("fake", str(project))
    assert known.code == 0
    assert known.verdict is not None
    assert known.findings[0]["existing"] is True
    assert known.verdict["summary"] == "no new errors beyond the baseline; 1 baselined finding"
    assert run_qualgate("all", str(project)).code == 0
    # The same finding on another line of code is another finding: it fails, though the
    # line is no change since any base.
    (project / "app.py").write_text("a = 1\nb = 3\n")
    moved = run_qualgate("fake", str(project))
    assert moved.code == 1
    assert moved.findings[0].get("existing") is None


def test_check_fails_while_the_file_holds_fixed_findings(project: Path) -> None:
    run_qualgate("baseline", "write", str(project))
    holds = run_qualgate("baseline", "check", str(project), "--format", "json")
    assert holds.code == 0, holds.stdout
    assert holds.verdict is not None
    assert holds.verdict["summary"] == "the 1 baselined finding still occurs"
    # Fix it: the gate stops reporting the finding.
    text = (project / "pyproject.toml").read_text().replace('mode = "fail"', 'mode = "pass"', 1)
    (project / "pyproject.toml").write_text(text)
    stale = run_qualgate("baseline", "check", str(project), "--format", "json")
    assert stale.code == 1
    (finding,) = stale.findings
    assert finding["rule"] == "baseline-stale"
    assert finding["path"] == "app.py"
    assert finding["check"] == "fake"
    assert "qualgate baseline write" in stale.verdict["next_steps"][0]  # type: ignore[index]
    rewritten = run_qualgate("baseline", "write", str(project), "--format", "json")
    assert rewritten.verdict is not None
    assert rewritten.verdict["metrics"]["dropped"] == 1
    assert baseline_of(project)["gates"] == {}
    assert run_qualgate("baseline", "check", str(project)).code == 0


def test_a_gate_that_errors_keeps_its_entries(project: Path) -> None:
    run_qualgate("baseline", "write", str(project))
    before = baseline_of(project)
    text = (project / "pyproject.toml").read_text().replace('mode = "fail"', 'mode = "gate-error"')
    (project / "pyproject.toml").write_text(text)
    written = run_qualgate("baseline", "write", str(project), "--format", "json")
    assert written.code == 2
    assert written.verdict is not None
    assert "fake errored: their previous entries are kept" in written.verdict["summary"]
    assert baseline_of(project) == before
    checked = run_qualgate("baseline", "check", str(project), "--format", "json")
    assert checked.code == 2  # cannot tell whether fake's findings still occur


def test_check_without_a_baseline_is_an_error(project: Path) -> None:
    run = run_qualgate("baseline", "check", str(project), "--format", "json")
    assert run.code == 2
    assert run.verdict is not None
    assert run.verdict["summary"] == "no baseline at .qualgate/baseline.json"


def test_the_config_names_the_file_and_gates_narrow_it(project: Path) -> None:
    text = '[tool.qualgate]\nbaseline = "qa/known.json"\n\n' + (
        (project / "pyproject.toml").read_text()
    )
    (project / "pyproject.toml").write_text(text)
    run = run_qualgate("baseline", "write", str(project), "--gates", "fake2", "--format", "json")
    assert run.code == 0
    assert json.loads((project / "qa/known.json").read_text())["gates"] == {}
    assert not (project / ".qualgate/baseline.json").exists()
    run_qualgate("baseline", "write", str(project))
    assert list(json.loads((project / "qa/known.json").read_text())["gates"]) == ["fake"]
    assert run_qualgate("fake", str(project)).code == 0


def test_a_broken_baseline_is_an_error_not_a_pass(project: Path) -> None:
    (project / ".qualgate").mkdir()
    (project / ".qualgate/baseline.json").write_text("{not json")
    run = run_qualgate("fake", str(project))
    assert run.code == 2
    assert run.verdict is not None
    assert "is not a qualgate baseline" in run.verdict["summary"]
    assert "qualgate baseline write" in run.verdict["next_steps"][0]


def test_a_hostile_baseline_path_is_not_shown(project: Path) -> None:
    run_qualgate("baseline", "write", str(project))
    data = baseline_of(project)
    fake = data["gates"]["fake"]  # type: ignore[index]
    fp = next(iter(fake))
    fake["sha256:" + "0" * 64] = {"rule": "X", "path": "/etc/passwd", "message": "m"}
    (project / ".qualgate/baseline.json").write_text(json.dumps(data))
    run = run_qualgate("baseline", "check", str(project), "--format", "json")
    assert run.code == 1
    (stale,) = run.findings
    assert "path" not in stale  # the verdict never names a file outside the project
    assert fp  # the real entry still occurs


def test_the_baseline_verdict_file_is_written(project: Path) -> None:
    run_qualgate("baseline", "write", str(project))
    assert read_verdict_file(project, "baseline")["status"] == "pass"
