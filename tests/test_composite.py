"""The `all` gate: runs each configured gate with its own config and environment, only
the affected ones, cached ones from the cache, the rest in parallel; combines verdicts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from qualgate.cache import signature
from qualgate.gates import GATES, GateInfo
from tests.support import REPO, git, git_init, read_verdict_file, run_qualgate, write_files


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache secret per test; qualgate's own code taken as unchanged during a test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr(signature, "package_sig", lambda _package: "this qualgate")


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


def test_a_fail_outranks_an_error_whose_steps_come_first(
    two_fakes: tuple[str, str], tmp_path: Path
) -> None:
    configure(tmp_path, "fail", "gate-error")
    run = run_qualgate("all", str(tmp_path))
    assert run.code == 1  # the failure has a known fix: an agent must see it
    assert run.verdict is not None
    assert run.verdict["status"] == "fail"
    assert run.verdict["next_steps"][0] == "fake2: pip install fake-tool"
    assert run.verdict["summary"].startswith("2 gates: 1 error (fake2); 1 fail (fake)")


def test_only_errors_make_an_error(two_fakes: tuple[str, str], tmp_path: Path) -> None:
    configure(tmp_path, "pass", "gate-error")
    assert run_qualgate("all", str(tmp_path)).code == 2


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


def test_each_gate_takes_its_own_environment_variables(
    two_fakes: tuple[str, str], tmp_path: Path
) -> None:
    configure(tmp_path, "pass", "pass")
    text = (tmp_path / "pyproject.toml").read_text() + "level = 7\n"  # [tool.qualgate.fake2]
    (tmp_path / "pyproject.toml").write_text(text)
    env = {"QUALGATE_FAKE_LEVEL": "9", "QUALGATE_FAKE_NAMES": "x y", "QUALGATE_FAKE2_STRICT": "1"}
    run = run_qualgate("all", str(tmp_path), env=env)
    assert run.code == 0
    fake = read_verdict_file(tmp_path, "fake")["metrics"]
    fake2 = read_verdict_file(tmp_path, "fake2")["metrics"]
    assert (fake["level"], fake["names"], fake["strict"]) == (9, ["x", "y"], False)
    assert (fake2["level"], fake2["strict"]) == (7, True)  # file, then its own variable
    bad = run_qualgate("all", str(tmp_path), env={"QUALGATE_FAKE_LEVEL": "many"})
    assert bad.verdict is not None and bad.verdict["metrics"]["gates"]["fake"] == "error"
    assert "$QUALGATE_FAKE_LEVEL" in bad.verdict["checks"][0]["summary"]


def _stable(verdict: dict[str, Any]) -> dict[str, Any]:
    """A combined verdict without what differs between two runs (times, durations)."""
    out = {k: v for k, v in verdict.items() if k not in ("started_at", "duration_ms", "reproduce")}
    out["checks"] = [{k: v for k, v in c.items() if k != "duration_ms"} for c in out["checks"]]
    return out


def test_parallel_gives_the_verdict_a_serial_run_gives(
    two_fakes: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        GATES, "fake3", GateInfo(name="fake3", module="tests.fake_gate", help="f", wrapper="-")
    )
    configure(tmp_path, "fail", "gate-error")
    text = (tmp_path / "pyproject.toml").read_text()
    text = text.replace('gates = ["fake", "fake2"]', 'gates = ["fake", "fake2", "fake3"]')
    (tmp_path / "pyproject.toml").write_text(text + '\n[tool.qualgate.fake3]\nmode = "skip"\n')
    serial = run_qualgate("all", str(tmp_path), "--jobs", "1", "--no-cache")
    parallel = run_qualgate("all", str(tmp_path), "--jobs", "3", "--no-cache")
    assert serial.code == parallel.code == 1
    assert serial.verdict is not None and parallel.verdict is not None
    assert _stable(parallel.verdict) == _stable(serial.verdict)


def test_unchanged_gates_answer_from_the_cache(two_fakes: tuple[str, str], tmp_path: Path) -> None:
    configure(tmp_path, "fail", "pass")
    first = run_qualgate("all", str(tmp_path))
    second = run_qualgate("all", str(tmp_path))
    assert first.code == second.code == 1
    assert first.verdict is not None and second.verdict is not None
    assert "cached" not in first.verdict
    assert second.verdict["cached"] is True
    assert second.verdict["metrics"]["cached"] == ["fake", "fake2"]
    assert second.verdict["findings"] == first.verdict["findings"]
    assert all(c["summary"].endswith("(cached)") for c in second.verdict["checks"])
    assert read_verdict_file(tmp_path, "fake")["cached"] is True
    (tmp_path / "app.py").write_text("a = 1\nb = 3\n")
    third = run_qualgate("all", str(tmp_path))
    assert third.verdict is not None and "cached" not in third.verdict["metrics"]
    no_cache = run_qualgate("all", str(tmp_path), "--no-cache")
    assert no_cache.verdict is not None and "cached" not in no_cache.verdict["metrics"]


@pytest.fixture
def cache_gates(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names = ["cg1", "cg2", "cg3"]
    for name in names:
        monkeypatch.setitem(
            GATES, name, GateInfo(name=name, module="tests.cache_gate", help="c", wrapper="-")
        )
    return names


def test_with_base_only_affected_gates_run(
    fake_gate: str, cache_gates: list[str], tmp_path: Path
) -> None:
    # cg1 declares *.cfg and conf/** as its inputs; fake declares nothing (every file).
    root = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": '[tool.qualgate.all]\ngates = ["fake", "cg1"]\n',
            "app.py": "a = 1\n",
            "a.cfg": "x = 1\n",
        },
    )
    git_init(root)
    # qualgate's own folder is no input: an untracked baseline affects no gate.
    write_files(root, {".qualgate/.gitignore": "*\n!baseline.json\n"})
    write_files(root, {".qualgate/baseline.json": '{"format": 1, "gates": {}}'})
    nothing = run_qualgate("all", str(root), "--base", "HEAD")
    assert nothing.code == 0
    assert nothing.verdict is not None
    assert nothing.verdict["status"] == "skipped"
    assert nothing.verdict["metrics"]["not_affected"] == ["fake", "cg1"]
    (root / "app.py").write_text("a = 2\n")
    code_only = run_qualgate("all", str(root), "--base", "HEAD")
    assert code_only.verdict is not None
    assert code_only.verdict["metrics"]["not_affected"] == ["cg1"]
    assert code_only.verdict["checks"][1]["summary"] == (
        "not affected: none of its inputs changed since HEAD"
    )
    assert "1 not affected since HEAD (cg1)" in code_only.verdict["summary"]
    git(root, "add", "-A")
    git(root, "commit", "-qm", "code")
    (root / "a.cfg").unlink()  # a deletion is a change too
    deleted = run_qualgate("all", str(root), "--base", "HEAD")
    assert deleted.verdict is not None
    assert "not_affected" not in deleted.verdict["metrics"]
    assert deleted.verdict["metrics"]["gates"] == {"fake": "pass", "cg1": "pass"}


def _intervals(log: Path) -> dict[str, tuple[float, float]]:
    starts: dict[str, float] = {}
    out = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if "start" in entry:
            starts[entry["gate"]] = entry["start"]
        else:
            out[entry["gate"]] = (starts[entry["gate"]], entry["end"])
    return out


@pytest.mark.slow
def test_database_gates_run_one_at_a_time_beside_the_others(
    cache_gates: list[str], tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    tables = "".join(
        f"[tool.qualgate.{g}]\nsleep = 1.5\nlog = {str(log)!r}\ndatabase = {str(db).lower()}\n"
        for g, db in (("cg1", True), ("cg2", True), ("cg3", False))
    )
    root = write_files(
        tmp_path / "p",
        {"pyproject.toml": f'[tool.qualgate.all]\ngates = ["cg1", "cg2", "cg3"]\n{tables}'},
    )
    run = run_qualgate("all", str(root), "--jobs", "3", "--no-cache")
    assert run.code == 0
    spans = _intervals(log)
    (a1, a2), (b1, b2), (c1, c2) = spans["cg1"], spans["cg2"], spans["cg3"]
    assert a2 <= b1 or b2 <= a1, "two database gates ran at once"
    assert c1 < max(a2, b2) and c2 > min(a1, b1), "the read-only gate did not run beside them"


@pytest.mark.slow
def test_a_gate_starts_after_the_gates_whose_verdict_it_reads(
    cache_gates: list[str], tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    tables = (
        f"[tool.qualgate.cg1]\nsleep = 1.0\nlog = {str(log)!r}\n"
        f'[tool.qualgate.cg2]\nlog = {str(log)!r}\nafter = ["cg1"]\n'
        f'[tool.qualgate.cg3]\nlog = {str(log)!r}\nafter = ["cg2"]\n'
    )
    root = write_files(
        tmp_path / "p",
        {"pyproject.toml": f'[tool.qualgate.all]\ngates = ["cg3", "cg2", "cg1"]\n{tables}'},
    )
    assert run_qualgate("all", str(root), "--jobs", "3", "--no-cache").code == 0
    spans = _intervals(log)
    assert spans["cg1"][1] <= spans["cg2"][0] and spans["cg2"][1] <= spans["cg3"][0]
    assert run_qualgate("all", str(root), "--jobs", "1", "--no-cache").code == 0


_DRIVER = """
import sys
from qualgate.gates import GATES, GateInfo
for name in ("cg1", "cg2"):
    GATES[name] = GateInfo(name=name, module="tests.cache_gate", help="c", wrapper="-")
from qualgate.cli import cli
cli.main(sys.argv[1:])
"""


@pytest.mark.slow
def test_sigterm_stops_every_worker_and_writes_the_verdict(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    tables = "".join(
        f"[tool.qualgate.{g}]\nsleep = 60\nlog = {str(log)!r}\n" for g in ("cg1", "cg2")
    )
    root = write_files(
        tmp_path / "p",
        {"pyproject.toml": f'[tool.qualgate.all]\ngates = ["cg1", "cg2"]\n{tables}'},
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, "all", str(root), "--format", "json", "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if log.exists() and len(log.read_text().splitlines()) >= 2:
                break
            time.sleep(0.1)
        workers = [json.loads(line)["pid"] for line in log.read_text().splitlines()]
        assert len(workers) == 2, "both gates should have started"
        proc.send_signal(signal.SIGTERM)
        out, _err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143
    verdict = json.loads(out)
    assert verdict["status"] == "error" and "SIGTERM" in verdict["summary"]
    assert json.loads((root / ".qualgate/verdicts/all.json").read_text())["status"] == "error"
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
