"""run-tests internals: the pytest plugin in-process, the coverage helper, parsing, judging."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qualgate.errors import GateError
from qualgate.gates.run_tests import cov, judge, results, shards
from qualgate.gates.run_tests.inproject import _qualgate_covreport as covreport
from qualgate.gates.run_tests.inproject import _qualgate_pytest as plugin
from qualgate.verdict import to_dict
from tests.support import assert_valid_verdict, write_files

PLUGIN = "qualgate.gates.run_tests.inproject._qualgate_pytest"


class FakeCoverage:
    """Stands in for the running coverage: the test process's own must not be touched."""

    def __init__(self) -> None:
        self.contexts: list[str] = []
        self.config = self
        self.dynamic_context = None

    def switch_context(self, name: str) -> None:
        self.contexts.append(name)


def run_plugin(
    project: Path, monkeypatch: pytest.MonkeyPatch, *args: str, **env: str
) -> tuple[int, results.TestResults]:
    """Run pytest in this process with our plugin, and parse its events."""
    fake = FakeCoverage()
    monkeypatch.setattr(plugin, "_coverage", lambda: fake)
    monkeypatch.setattr(plugin, "last_fake", fake, raising=False)
    events = project / "events.jsonl"
    # A fresh events file and sink per run: an earlier in-process run may have left its
    # sink open (a run that never reached unconfigure) or its events behind.
    events.unlink(missing_ok=True)
    monkeypatch.setattr(plugin, "_sink", [])
    monkeypatch.chdir(project)
    monkeypatch.setenv("QUALGATE_RT_EVENTS", str(events))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(plugin, "_state", {"switch": False, "category": None})
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    code = pytest.main(
        [
            "-p",
            PLUGIN,
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "--import-mode=importlib",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            *args,
            str(project),
        ]
    )
    return int(code), results.parse(results.read_events(events), lambda p: _rel(project, p))


def _rel(root: Path, path: str) -> str:
    p = Path(path)
    p = p if p.is_absolute() else root / p
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


SUITE = {
    "pyproject.toml": "[tool.pytest.ini_options]\nmarkers = ['integration: slow']\n",
    "test_mix.py": """\
import pytest


def test_pass():
    pass


def test_fail():
    assert [1, 2] == [1, 3]


@pytest.fixture
def bad():
    yield
    raise ValueError("teardown broke")


def test_teardown(bad):
    pass


@pytest.mark.skip(reason="later")
def test_skip():
    pass


@pytest.mark.xfail(strict=True)
def test_strict_xpass():
    pass


@pytest.mark.integration
def test_marked():
    pass
""",
    "sub/test_other.py": "def test_other():\n    pass\n",
}


def test_plugin_events_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = write_files(tmp_path / "p", SUITE)
    code, res = run_plugin(
        project, monkeypatch, QUALGATE_RT_MARKER="integration", QUALGATE_RT_PATHS="sub"
    )
    assert code == 1
    assert res.started and res.finished and res.exitstatus == 1
    # A strict xfail that passes is a failure; a teardown error counts beside the pass.
    assert dict(res.counts) == {
        "passed": 4,
        "failed": 2,
        "errors": 1,
        "skipped": 1,
        "xfailed": 0,
        "xpassed": 0,
        "flaky": 0,
    }
    assert res.collected_total == 7
    assert res.integration_selected == 2
    assert res.contexts is True
    assert res.running == ()
    # Contexts switch only when the kind changes: sub/ (integration by folder) runs
    # first, then five unit tests, then the marked one.
    fake = plugin.last_fake  # type: ignore[attr-defined]
    assert fake.contexts == ["qualgate:integration", "qualgate:unit", "qualgate:integration"]
    # Not asked to measure (no $QUALGATE_RT_MEASURE): nothing was started in this process.
    assert res.measured is None
    problems = {(p.nodeid, p.when): p for p in res.problems}
    fail = problems[("test_mix.py::test_fail", "call")]
    assert (fail.kind, fail.path, fail.line) == ("failed", "test_mix.py", 9)
    assert "[1, 2] == [1, 3]" in fail.message
    teardown = problems[("test_mix.py::test_teardown", "teardown")]
    assert (teardown.kind, teardown.path, teardown.line) == ("error", "test_mix.py", 15)
    assert teardown.exception == "ValueError"
    strict = problems[("test_mix.py::test_strict_xpass", "call")]
    assert strict.line == 27  # no traceback: the test's own line
    assert set(res.durations) == {
        "test_mix.py::test_pass",
        "test_mix.py::test_fail",
        "test_mix.py::test_teardown",
        "test_mix.py::test_skip",
        "test_mix.py::test_strict_xpass",
        "test_mix.py::test_marked",
        "sub/test_other.py::test_other",
    }


def test_plugin_cuts_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = write_files(tmp_path / "p", SUITE)
    durations = project / "durations.json"
    recorded = {f"test_mix.py::{name}": 1.0 for name in ("test_pass", "test_fail")}
    recorded["sub/test_other.py::test_other"] = 10.0
    durations.write_text(json.dumps({"tests": recorded}))
    _, first = run_plugin(
        project, monkeypatch, QUALGATE_RT_SHARD="1/2", QUALGATE_RT_DURATIONS=str(durations)
    )
    _, second = run_plugin(
        project, monkeypatch, QUALGATE_RT_SHARD="2/2", QUALGATE_RT_DURATIONS=str(durations)
    )
    # sub/test_other.py weighs 10, test_mix.py 2 (its recorded tests): the slow file alone
    # in shard 1 (by path hash alone it would be in shard 2, test_mix.py in shard 1).
    assert (
        plugin.shard_for("sub/test_other.py", 2, {}),
        plugin.shard_for("test_mix.py", 2, {}),
    ) == (2, 1)
    assert first.nodeids == ("sub/test_other.py::test_other",)
    assert first.selected == 1 and second.selected == 6
    assert first.partition == second.partition
    # Each shard collected (imported) only its own file.
    assert (first.collected_total, second.collected_total) == (1, 6)
    assert first.other_shard_files == second.other_shard_files == 1


def test_plugin_deselection_and_collection_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "test_ok.py": "def test_a():\n    pass\n\n\ndef test_b():\n    pass\n",
            "test_bad.py": "import json\nfrom os import not_there\n",
        },
    )
    code, res = run_plugin(project, monkeypatch, "-k", "test_a", "--continue-on-collection-errors")
    assert code == 1
    assert res.deselected == 1
    [problem] = res.problems
    assert (problem.kind, problem.path, problem.line) == ("collect", "test_bad.py", 2)
    assert "cannot import name 'not_there'" in problem.message


def test_plugin_reports_a_broken_conftest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = write_files(
        tmp_path / "p", {"conftest.py": "x = 1\nraise RuntimeError('no')\n", "test_a.py": ""}
    )
    code, res = run_plugin(project, monkeypatch)
    assert code == 4
    [problem] = res.problems
    assert (problem.kind, problem.path, problem.line) == ("collect", "conftest.py", 2)
    assert not res.started


def test_trim_long_messages() -> None:
    text = "\n".join(f"line {i}" for i in range(40))
    trimmed = plugin._trim(text)
    assert trimmed.endswith("... (28 more lines)")
    assert plugin._trim("x" * 3000).endswith("...")


# ---------------------------------------------------------------------------
# The coverage helper, in this process


def test_covreport_reports_failure_as_data(tmp_path: Path) -> None:
    # In a child process: a second Coverage object in this (measured) process would
    # spoil the test run's own coverage data.
    out = tmp_path / "cov.json"
    args = [str(out), str(tmp_path / "merged"), "--keep", str(tmp_path / "none")]
    done = subprocess.run([sys.executable, covreport.__file__, *args], cwd=tmp_path, check=False)
    assert done.returncode == 1
    status = json.loads(Path(str(out) + ".status").read_text())
    assert status["ok"] is False
    assert status["stage"] == "combine"
    assert status["error"].startswith("NoDataError: Couldn't combine from non-existent path")


def test_combine_errors_become_gate_errors(tmp_path: Path) -> None:
    common: dict[str, Any] = {
        "root": tmp_path,
        "inputs": [tmp_path / "missing.coverage"],
        "data_file": tmp_path / "merged.coverage",
        "out": tmp_path / "cov.json",
        "contexts": False,
        "keep": True,
        "timeout": 60,
        "relpath": str,
    }
    with pytest.raises(GateError, match="could not combine or report"):
        cov.combine_and_report(python=sys.executable, **common)
    # An interpreter that does not even run the helper (no status file).
    with pytest.raises(GateError, match="could not combine or report"):
        cov.combine_and_report(python="/bin/false", **common)


def test_clean_env_keeps_a_project_rcfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COVERAGE_RCFILE", str(tmp_path / ".coveragerc"))
    assert "COVERAGE_RCFILE" not in cov.clean_env(tmp_path)
    monkeypatch.setenv("COVERAGE_RCFILE", "/elsewhere/pyproject.toml")
    env = cov.clean_env(tmp_path)
    assert "COVERAGE_RCFILE" in env and env["COVERAGE_RCFILE"] is None
    # What a measuring parent (or an xdist worker running qualgate's tests) leaves behind is
    # removed: a nested run must neither think it is a worker nor report to another run.
    for inherited in ("COVERAGE_PROCESS_CONFIG", "COV_CORE_SOURCE", "PYTEST_XDIST_WORKER"):
        assert inherited in env and env[inherited] is None


# ---------------------------------------------------------------------------
# Parsing and judging


def test_parse_report_with_contexts() -> None:
    document = {
        "meta": {"branch_coverage": False},
        "files": {
            "app.py": {
                "executed_lines": [1, 2, 4],
                "missing_lines": [5],
                "summary": {},
                "contexts": {"1": [""], "2": ["qualgate:unit"], "4": ["s|qualgate:integration"]},
            }
        },
        "totals": {"percent_covered": 75.0, "num_statements": 4, "covered_lines": 3},
    }
    report = cov.parse_report(document, str, contexts=True)
    assert report.files["app.py"].integration_executed == frozenset({1, 4})
    assert report.integration_percent() == 50.0
    assert report.branch_percent is None
    changed = cov.changed_coverage(report, {"app.py": frozenset({2, 5, 9})}, ())
    assert (changed.statements, changed.covered, changed.percent) == (2, 1, 50.0)
    whole = cov.changed_coverage(report, {}, ["app.py"])
    assert (whole.statements, whole.covered) == (4, 3)
    assert cov.changed_coverage(report, {"other.py": frozenset({1})}, ()).percent is None


def test_ranges() -> None:
    assert cov.ranges([7, 1, 2, 3, 9, 10]) == "1-3, 7, 9-10"
    assert cov.ranges([]) == ""


def test_parse_shard_spec() -> None:
    assert shards.parse_shard(" 2 / 4 ") == "2/4"
    for bad in ("0/2", "3/2", "x", "1/0"):
        with pytest.raises(ValueError, match="K/N"):
            shards.parse_shard(bad)
    assert shards.shard_of(None) is None
    assert str(shards.shard_of("1/3")) == "1/3"


def test_durations_file(tmp_path: Path) -> None:
    assert shards.read_durations(tmp_path) == {}
    shards.write_durations(tmp_path, {"a::t": 1.23456}, replace=True)
    shards.write_durations(tmp_path, {"b::t": 2.0}, replace=False)
    assert shards.read_durations(tmp_path) == {"a::t": 1.2346, "b::t": 2.0}
    shards.write_durations(tmp_path, {"c::t": 3.0}, replace=True)
    assert shards.read_durations(tmp_path) == {"c::t": 3.0}
    (tmp_path / shards.DURATIONS_FILE).write_text("[1, 2]")
    assert shards.read_durations(tmp_path) == {}


def test_torn_event_lines_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"event": "test_start", "nodeid": "t::a"}\n[1]\n{"event": "rep')
    res = results.parse(results.read_events(path), str)
    assert res.running == ("t::a",)
    assert results.read_events(tmp_path / "absent") == []


def _report(percent_lines: tuple[int, int]) -> cov.CoverageReport:
    executed, total = percent_lines
    f = cov.FileCoverage(
        path="a.py",
        statements=frozenset(range(1, total + 1)),
        executed=frozenset(range(1, executed + 1)),
    )
    return cov.CoverageReport(
        files={"a.py": f},
        branch=False,
        percent=100.0 * executed / total,
        statements=total,
        covered_lines=executed,
        num_branches=0,
        covered_branches=0,
    )


def test_judge_integration_without_context_split() -> None:
    # Every selected test is an integration test: they reached all that was measured.
    res = results.TestResults(
        counts={"passed": 2},
        durations={"t::a": 0.1},
        problems=(),
        integration_selected=2,
        contexts=False,
    )
    settings = judge.Settings(coverage_min=50, changed_min=80, integration_min=90, file_min=0)
    inputs = judge.Inputs(
        results=res, coverage=_report((3, 4)), changed=None, command=(), pytest_ms=5
    )
    verdict = judge.build(inputs, settings)
    assert_valid_verdict(to_dict(verdict.replace(started_at="2026-11-22T08:00:00Z")))
    assert verdict.metrics["integration_coverage"] == 75.0
    assert [t.ok for t in verdict.thresholds] == [True, False]
    # With dynamic_context configured, the split cannot be made: said, not guessed.
    res = results.TestResults(
        counts={"passed": 2},
        durations={},
        problems=(),
        integration_selected=1,
        contexts=True,
        dynamic_context="test_function",
    )
    inputs = judge.Inputs(
        results=res, coverage=_report((3, 4)), changed=None, command=(), pytest_ms=5
    )
    verdict = judge.build(inputs, settings)
    assert "integration coverage not measured" in verdict.summary
    assert [t.name for t in verdict.thresholds] == ["coverage.total"]


def test_plugin_cuts_files_named_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A path given to pytest is collected whatever pytest_ignore_collect says; the cut
    # after collection still keeps it in its own shard only.
    project = write_files(tmp_path / "p", SUITE)
    named = "sub/test_other.py::test_other"
    assert plugin.shard_for("sub/test_other.py", 2, {}) == 2
    _, first = run_plugin(project, monkeypatch, named, QUALGATE_RT_SHARD="1/2")
    _, second = run_plugin(project, monkeypatch, named, QUALGATE_RT_SHARD="2/2")
    assert named not in first.nodeids
    assert len(first.nodeids) == 6
    assert all(n.startswith("test_mix.py::") for n in first.nodeids)
    assert second.nodeids == (named,)
    assert first.deselected == second.deselected == 0


def test_plugin_shards_follow_python_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Custom python_files: those modules are the units; a test_*.py name means nothing.
    names = [f"check_{n}.py" for n in range(6)]
    files = {"pyproject.toml": "[tool.pytest.ini_options]\npython_files = ['check_*.py']\n"}
    files.update({n: "def test_it():\n    pass\n" for n in names})
    files["test_not_collected.py"] = "raise RuntimeError('pytest never imports this')\n"
    project = write_files(tmp_path / "p", files)
    seen: list[str] = []
    for k in (1, 2):
        code, res = run_plugin(project, monkeypatch, QUALGATE_RT_SHARD=f"{k}/2")
        own = sorted(n for n in names if plugin.shard_for(n, 2, {}) == k)
        assert sorted(n.split("::")[0] for n in res.nodeids) == own
        assert res.other_shard_files == len(names) - len(own)
        assert code == (0 if own else 5)
        seen += own
    assert sorted(seen) == names


def test_relfile_spells_paths_as_node_ids(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert plugin._relfile(root / "tests" / "test_a.py", root) == "tests/test_a.py"
    assert plugin._relfile(tmp_path / "other" / "test_b.py", root) == "../other/test_b.py"
