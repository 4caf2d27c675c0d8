"""The integrity gate and the result cache: an unchanged second run is replayed; a new
commit, an edited or re-touched compared file, a mode change, or another run-tests count
makes the next run real."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from qualgate.cache import signature
from qualgate.context import GateContext
from qualgate.gates.integrity import gate
from qualgate.verdict import Project, Status, Tool, Verdict, to_dict
from tests.support import assert_valid_verdict, git, git_init, run_qualgate, write_files

TESTS = "def test_adds():\n    assert 1 + 1 == 2\n\n\ndef test_negates():\n    assert -1 < 0\n"


@pytest.fixture(autouse=True)
def own_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test under its own cache secret, qualgate's own code taken as unchanged."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr(signature, "package_sig", lambda _package: "this qualgate")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = write_files(
        tmp_path / "demo",
        {
            "pyproject.toml": '[project]\nname = "demo"\n\n[tool.ruff.lint]\nselect = ["E", "F"]\n',
            "src/demo/__init__.py": "def compute() -> int:\n    return 3\n",
            "tests/test_demo.py": TESTS,
        },
    )
    return git_init(root)


def integrity(root: Path, *args: str) -> dict[str, Any]:
    """One run; its stdout verdict and its verdict file are checked against the schema."""
    done = run_qualgate("integrity", str(root), *args)
    assert done.verdict is not None, done.stdout + done.stderr
    return done.verdict


def count_check(verdict: dict[str, Any]) -> dict[str, Any]:
    check: dict[str, Any] = {c["name"]: c for c in verdict["checks"]}["test-count"]
    return check


def run_tests_verdict(
    root: Path, *, commit: str, dirty: bool, passed: int, status: Status = Status.PASS
) -> None:
    """Write run-tests' verdict file as a run would (a valid verdict, dated now)."""
    verdict = Verdict(
        gate="run-tests",
        status=status,
        summary=f"{passed} passed",
        metrics={"passed": passed, "failed": 0, "errors": 0, "skipped": 0},
        tool=Tool(version="0.1.0"),
        started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        duration_ms=int(time.monotonic_ns() % 1000),
        project=Project(root=str(root), commit=commit, dirty=dirty),
    )
    document = to_dict(verdict)
    assert_valid_verdict(document)
    folder = root / ".qualgate" / "verdicts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run-tests.json").write_text(json.dumps(document), encoding="utf-8")


def age(path: Path, seconds: float) -> None:
    """Set a file's modification time ``seconds`` before now."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_an_unchanged_second_run_is_replayed(repo: Path) -> None:
    (repo / "tests/test_demo.py").write_text(
        "import pytest\n\n\n@pytest.mark.skip(reason='flaky')\n" + TESTS, encoding="utf-8"
    )
    first = integrity(repo)
    assert first["status"] == "fail" and "cached" not in first
    second = integrity(repo)
    assert second["cached"] is True
    assert second["findings"] == first["findings"]
    assert second["checks"] == first["checks"]


def test_a_new_commit_makes_the_next_run_real(repo: Path) -> None:
    assert "cached" not in integrity(repo)
    assert integrity(repo)["cached"] is True
    git(repo, "commit", "-q", "--allow-empty", "-m", "next")
    assert "cached" not in integrity(repo)
    assert integrity(repo)["cached"] is True


def test_a_changed_compared_file_makes_the_next_run_real(repo: Path) -> None:
    pyproject = repo / "pyproject.toml"
    original = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(original.replace('["E", "F"]', '["E"]'), encoding="utf-8")
    weaker = integrity(repo)
    assert weaker["status"] == "fail"
    assert integrity(repo)["cached"] is True
    pyproject.write_text(original, encoding="utf-8")
    restored = integrity(repo)
    assert restored["status"] == "pass" and "cached" not in restored


def test_a_mode_change_git_sees_makes_the_next_run_real(repo: Path) -> None:
    assert integrity(repo)["metrics"]["files_changed"] == 0
    assert integrity(repo)["cached"] is True
    (repo / "src/demo/__init__.py").chmod(0o755)  # same content: only git tells
    changed = integrity(repo)
    assert "cached" not in changed
    assert changed["metrics"]["files_changed"] == 1


def test_the_run_tests_counts_it_reads_are_its_inputs(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    run_tests_verdict(repo, commit=head, dirty=False, passed=2)  # remembered for HEAD
    assert count_check(integrity(repo))["status"] == "skipped"
    (repo / "src/demo/extra.py").write_text("X = 1\n", encoding="utf-8")
    age(repo / "src/demo/extra.py", 60)
    run_tests_verdict(repo, commit=head, dirty=True, passed=2)
    judged = integrity(repo)
    assert count_check(judged)["status"] == "pass", count_check(judged)
    assert integrity(repo)["cached"] is True
    # run-tests answered again (from its own cache): a new file, the same counts.
    run_tests_verdict(repo, commit=head, dirty=True, passed=2)
    assert integrity(repo)["cached"] is True
    run_tests_verdict(repo, commit=head, dirty=True, passed=1)
    fewer = integrity(repo)
    assert "cached" not in fewer
    assert [f["rule"] for f in fewer["findings"]] == ["fewer-tests"]


def test_a_change_newer_than_the_run_tests_verdict_makes_the_next_run_real(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    run_tests_verdict(repo, commit=head, dirty=False, passed=2)
    integrity(repo)
    extra = repo / "src/demo/extra.py"
    extra.write_text("X = 1\n", encoding="utf-8")
    age(extra, 60)
    run_tests_verdict(repo, commit=head, dirty=True, passed=1)
    assert [f["rule"] for f in integrity(repo)["findings"]] == ["fewer-tests"]
    assert integrity(repo)["cached"] is True
    # Saved again, same content: the verdict no longer describes the change.
    os.utime(extra)
    stale = integrity(repo)
    assert "cached" not in stale
    assert stale["status"] == "pass"
    assert "newer than the change" in count_check(stale)["summary"]


def test_a_base_is_keyed_by_its_commit(repo: Path) -> None:
    git(repo, "tag", "v1")
    (repo / "src/demo/extra.py").write_text("X = 1\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "extra")
    first = integrity(repo, "--base", "v1")
    assert first["metrics"]["files_changed"] == 1 and "cached" not in first
    assert integrity(repo, "--base", "v1")["cached"] is True
    git(repo, "tag", "-f", "v1", "HEAD")
    moved = integrity(repo, "--base", "v1")
    assert "cached" not in moved and moved["metrics"]["files_changed"] == 0
    git(repo, "tag", "v2", "HEAD")  # the same commit, another name in the summary
    other = integrity(repo, "--base", "v2")
    assert other["summary"] == "nothing changed since v2" and "cached" not in other


def test_outside_a_repository_until_the_first_commit(tmp_path: Path) -> None:
    root = write_files(tmp_path / "plain", {"app.py": "x = 1\n"})
    assert integrity(root)["status"] == "skipped"
    assert integrity(root)["cached"] is True
    git_init(root)
    committed = integrity(root)
    assert committed["status"] == "pass" and "cached" not in committed


def test_all_starts_it_after_run_tests(repo: Path) -> None:
    values = {option.name: option.default for option in gate.OPTIONS}
    values["verdict-dir"] = repo / ".qualgate" / "verdicts"
    ctx = GateContext(gate="integrity", root=repo, options=values)
    assert gate.INPUTS(ctx).after == ("run-tests",)
    bad = GateContext(gate="integrity", root=repo, options=values, base="no-such-ref")
    declared = gate.INPUTS(bad)  # the run says what is wrong; nothing is kept
    assert declared.skip is not None and declared.after == ("run-tests",)
    plain = GateContext(gate="integrity", root=repo.parent, options=values)
    assert gate.INPUTS(plain).after == ("run-tests",)  # no repository: skipped, still after


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_under_all_integrity_reads_the_run_tests_verdict_of_this_run(repo: Path, jobs: str) -> None:
    """`all` writes each gate's verdict as it finishes and starts integrity after run-tests,
    so an edit made since the last run is judged against this run's counts."""
    (repo / "pyproject.toml").write_text(
        (repo / "pyproject.toml").read_text() + "\n[tool.qualgate.run-tests]\ncoverage-min = 0\n"
        '\n[tool.qualgate.all]\ngates = ["run-tests", "integrity"]\n'
    )
    git(repo, "commit", "-qam", "gates")
    first = run_qualgate("all", str(repo), "--jobs", jobs)  # records HEAD's count
    assert first.verdict is not None and first.code == 0, first.stdout
    for round_ in range(2):
        # An edit since the last run: integrity must not take the old verdict for this one.
        (repo / "src/demo/__init__.py").write_text(f"def compute() -> int:\n    return {round_}\n")
        time.sleep(0.01)
        run = run_qualgate("all", str(repo), "--jobs", jobs)
        assert run.verdict is not None, run.stdout
        assert run.verdict["metrics"]["gates"] == {"run-tests": "pass", "integrity": "pass"}
        check = count_check(json.loads((repo / ".qualgate/verdicts/integrity.json").read_text()))
        assert check["status"] == "pass", check["summary"]
        assert check["summary"].startswith("2 tests ran"), check["summary"]


def test_an_error_or_broken_collection_is_never_recorded_as_a_count() -> None:
    from qualgate.gates.integrity.testcount import executed

    ran = {"passed": 3, "failed": 1, "errors": 0, "xfailed": 1, "xpassed": 0}
    assert executed({"gate": "run-tests", "status": "fail", "metrics": ran}) == 5
    assert executed({"gate": "run-tests", "status": "error", "metrics": {}}) is None
    assert executed({"gate": "run-tests", "status": "error", "metrics": ran}) is None
    broken = {**ran, "passed": 0, "failed": 0, "xfailed": 0, "collection_errors": 2}
    assert executed({"gate": "run-tests", "status": "fail", "metrics": broken}) is None
    assert executed({"gate": "lint-format", "status": "pass", "metrics": ran}) is None
