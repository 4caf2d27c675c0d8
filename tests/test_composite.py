"""The `all` gate: runs each configured gate with its own config and combines verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualgate.gates import GATES, GateInfo
from tests.support import read_verdict_file, run_qualgate, write_files


@pytest.fixture()
def two_fakes(fake_gate: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setitem(
        GATES, "fake2", GateInfo(name="fake2", module="tests.fake_gate", help="f", wrapper="-")
    )
    return fake_gate, "fake2"


def configure(root: Path, fake: str, fake2: str) -> Path:
    return write_files(
        root,
        {
            "pyproject.toml": (
                f'[tool.qualgate.all]\ngates = ["fake", "fake2"]\n\n'
                f'[tool.qualgate.fake]\nmode = "{fake}"\n\n'
                f'[tool.qualgate.fake2]\nmode = "{fake2}"\n'
            ),
            "app.py": "a = 1\nb = 2\n",
        },
    )


def test_all_pass_writes_every_verdict(two_fakes: tuple[str, str], tmp_path: Path) -> None:
    configure(tmp_path, "pass", "skip")
    run = run_qualgate("all", str(tmp_path))
    assert run.code == 0
    assert run.verdict is not None
    assert [c["name"] for c in run.verdict["checks"]] == ["fake", "fake2"]
    assert run.verdict["metrics"]["gates"] == {"fake": "pass", "fake2": "skipped"}
    assert run.verdict["summary"] == "2 gates: 1 pass (fake); 1 skipped (fake2)"
    assert read_verdict_file(tmp_path, "fake")["status"] == "pass"
    assert read_verdict_file(tmp_path, "fake2")["reproduce"].startswith("qualgate fake2 ")
    assert read_verdict_file(tmp_path, "all")["status"] == "pass"


def test_all_fail_carries_findings(two_fakes: tuple[str, str], tmp_path: Path) -> None:
    configure(tmp_path, "fail", "pass")
    run = run_qualgate("all", str(tmp_path))
    assert run.code == 1
    (finding,) = run.findings
    assert finding["check"] == "fake/fake"
    assert finding["path"] == "app.py"
    assert (
        finding["fingerprint"] == read_verdict_file(tmp_path, "fake")["findings"][0]["fingerprint"]
    )


def test_error_outranks_fail(two_fakes: tuple[str, str], tmp_path: Path) -> None:
    configure(tmp_path, "fail", "gate-error")
    run = run_qualgate("all", str(tmp_path))
    assert run.code == 2
    assert run.verdict is not None
    assert "fake2: pip install fake-tool" in run.verdict["next_steps"]


def test_bad_config_of_one_gate_is_its_error(two_fakes: tuple[str, str], tmp_path: Path) -> None:
    configure(tmp_path, "pass", "pass")
    text = (tmp_path / "pyproject.toml").read_text() + "level = 99\n"
    (tmp_path / "pyproject.toml").write_text(text)
    run = run_qualgate("all", str(tmp_path))
    assert run.code == 2
    assert run.verdict is not None
    assert run.verdict["metrics"]["gates"] == {"fake": "pass", "fake2": "error"}


def test_fail_fast_stops(two_fakes: tuple[str, str], tmp_path: Path) -> None:
    configure(tmp_path, "fail", "pass")
    run = run_qualgate("all", str(tmp_path), "--fail-fast")
    assert run.code == 1
    assert run.verdict is not None
    assert [c["name"] for c in run.verdict["checks"]] == ["fake"]
    assert "not run after the first failure (--fail-fast): fake2" in run.verdict["summary"]


def test_all_skipped_is_skipped_and_require_fails(
    two_fakes: tuple[str, str], tmp_path: Path
) -> None:
    configure(tmp_path, "skip", "skip")
    assert run_qualgate("all", str(tmp_path)).verdict["status"] == "skipped"  # type: ignore[index]
    assert run_qualgate("all", str(tmp_path), "--require").code == 1


def test_unknown_gate_name(two_fakes: tuple[str, str], tmp_path: Path) -> None:
    run = run_qualgate("all", str(tmp_path), "--gates", "fake,nope")
    assert run.code == 2
    assert run.verdict is not None
    assert "unknown: ['nope']" in run.verdict["summary"]
