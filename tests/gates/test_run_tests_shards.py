"""run-tests --shard K/N and `qualgate merge`: slices that add up to the whole run."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from qualgate.errors import GateError
from qualgate.gates.run_tests._inject._qualgate_pytest import assign_shards, is_integration
from qualgate.gates.run_tests.merge import merge
from qualgate.verdict import to_dict
from tests.support import FIXTURES, assert_valid_verdict, run_qualgate, write_files

BASIC = FIXTURES / "run_tests" / "basic"
PY = sys.executable
SAME = (
    "passed",
    "failed",
    "errors",
    "skipped",
    "coverage",
    "line_coverage",
    "branch_coverage",
    "statements",
    "covered_lines",
    "num_branches",
    "covered_branches",
    "integration_coverage",
    "integration_tests",
    "tests_collected",
    "tests_selected",
    "files",
)


def shard_run(project: Path, spec: str, out: Path, *args: str) -> dict[str, Any]:
    run = run_qualgate("run-tests", str(project), "--python", PY, "--shard", spec, *args)
    assert run.verdict is not None, run.stdout
    out.write_text(run.stdout, encoding="utf-8")
    return run.verdict


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("shards")
    whole = base / "whole"
    shutil.copytree(BASIC, whole)
    sliced = base / "sliced"
    shutil.copytree(BASIC, sliced)
    v1 = shard_run(sliced, "1/2", base / "shard-1.json")
    v2 = shard_run(sliced, "2/2", base / "shard-2.json")
    durations_before_merge = (sliced / ".qualgate" / "durations.json").exists()
    merged = run_qualgate(
        "merge", str(base / "shard-1.json"), str(base / "shard-2.json"), "--root", str(sliced)
    )
    unsharded = run_qualgate("run-tests", str(whole), "--python", PY)
    return {
        "base": base,
        "sliced": sliced,
        "shards": (v1, v2),
        "merged": merged,
        "whole": unsharded,
        "durations_before_merge": durations_before_merge,
    }


def test_shards_split_the_suite_by_file(sharded: dict[str, Any]) -> None:
    v1, v2 = sharded["shards"]
    for v in (v1, v2):
        assert v["status"] == "pass", v["summary"]
        assert v["thresholds"] == []  # coverage of a slice is judged by merge, not here
        coverage_check = next(c for c in v["checks"] if c["name"] == "coverage")
        assert coverage_check["status"] == "skipped"
        assert v["metrics"]["tests_collected"] == 10
    # No durations yet: files weigh their test count. test_ops.py (7) alone in shard 1,
    # test_report.py (2) and integration/test_flow.py (1) in shard 2.
    assert v1["metrics"]["passed"] == 7
    assert v2["metrics"]["passed"] == 3
    info = v1["metrics"]["shard"]
    assert (info["index"], info["count"]) == (1, 2)
    assert info["coverage_data"] == ".qualgate/coverage/shard-1-of-2.coverage"
    assert info["events"] == ".qualgate/coverage/shard-1-of-2.events.jsonl"
    assert info["partition"] == v2["metrics"]["shard"]["partition"]
    assert "thresholds are checked by `qualgate merge`" in v1["summary"]
    # Shards leave durations to merge, so both slices are cut from the same file.
    assert sharded["durations_before_merge"] is False


def test_merge_equals_the_unsharded_run(sharded: dict[str, Any]) -> None:
    merged, whole = sharded["merged"], sharded["whole"]
    assert merged.code == 0, merged.stdout
    assert whole.code == 0, whole.stdout
    m, w = merged.verdict["metrics"], whole.verdict["metrics"]
    for key in SAME:
        assert m[key] == w[key], key
    assert m["shards"] == 2
    strip = [
        {k: t[k] for k in ("name", "min", "actual", "ok")} for t in whole.verdict["thresholds"]
    ]
    assert merged.verdict["thresholds"] == strip
    assert merged.verdict["status"] == whole.verdict["status"] == "pass"
    assert merged.verdict["reproduce"].startswith("qualgate merge ")
    durations = json.loads((sharded["sliced"] / ".qualgate" / "durations.json").read_text())
    assert len(durations["tests"]) == 10


def test_merge_finds_shard_files_beside_the_verdicts(
    sharded: dict[str, Any], tmp_path: Path
) -> None:
    # As after actions/download-artifact: verdicts and data in one folder elsewhere.
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    for name in ("shard-1.json", "shard-2.json"):
        shutil.copy(sharded["base"] / name, artifacts / name)
    for f in (sharded["sliced"] / ".qualgate" / "coverage").glob("shard-*"):
        shutil.copy(f, artifacts / f.name)
    root = tmp_path / "checkout"
    shutil.copytree(BASIC, root)
    verdict = merge([artifacts / "shard-1.json", artifacts / "shard-2.json"], root)
    assert_valid_verdict(to_dict(verdict))
    assert verdict.metrics["coverage"] == sharded["whole"].verdict["metrics"]["coverage"]
    assert verdict.metrics["passed"] == 10


def test_merge_rejects_an_incomplete_set(sharded: dict[str, Any]) -> None:
    run = run_qualgate(
        "merge", str(sharded["base"] / "shard-1.json"), "--root", str(sharded["sliced"])
    )
    assert run.code == 2
    assert run.verdict["summary"] == "need each of shards 1..2 exactly once; missing [2]"


def test_merge_rejects_what_is_not_a_shard_verdict(sharded: dict[str, Any], tmp_path: Path) -> None:
    whole = tmp_path / "whole.json"
    whole.write_text(sharded["whole"].stdout)
    with pytest.raises(GateError, match="not a shard verdict"):
        merge([whole], tmp_path)
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    with pytest.raises(GateError, match="not a JSON verdict"):
        merge([junk], tmp_path)
    with pytest.raises(GateError, match="no such verdict file"):
        merge([tmp_path / "absent.json"], tmp_path)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"gate": "lint-format"}))
    with pytest.raises(GateError, match="not a run-tests verdict"):
        merge([other], tmp_path)
    with pytest.raises(GateError, match="no shard verdicts"):
        merge([], tmp_path)


def _doctored(base: Path, tmp_path: Path, change: dict[str, Any], name: str) -> Path:
    document = json.loads((base / "shard-2.json").read_text())
    document["metrics"]["shard"].update(change)
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_merge_rejects_mismatched_shards(sharded: dict[str, Any], tmp_path: Path) -> None:
    base, root = sharded["base"], sharded["sliced"]
    first = base / "shard-1.json"
    other_split = _doctored(base, tmp_path, {"count": 3}, "a.json")
    with pytest.raises(GateError, match="different splits"):
        merge([first, other_split], root)
    other_cut = _doctored(base, tmp_path, {"partition": "0" * 64}, "b.json")
    with pytest.raises(GateError, match="different test collections"):
        merge([first, other_cut], root)
    twice = _doctored(base, tmp_path, {"index": 1}, "c.json")
    with pytest.raises(GateError, match="given twice"):
        merge([first, twice], root)
    lost = _doctored(base, tmp_path, {"events": "nowhere/x.jsonl"}, "d.json")
    with pytest.raises(GateError, match="test events file"):
        merge([first, lost], root)
    no_data = _doctored(base, tmp_path, {"coverage_data": "nowhere/x.coverage"}, "e.json")
    with pytest.raises(GateError, match="coverage data"):
        merge([first, no_data], root)
    # The same tests claimed by two shards (e.g. different durations files).
    same_tests = _doctored(
        base,
        tmp_path,
        {"events": json.loads(first.read_text())["metrics"]["shard"]["events"]},
        "f.json",
    )
    with pytest.raises(GateError, match="ran in more than one shard"):
        merge([first, same_tests], root)


def test_merge_of_an_errored_shard_is_an_error(sharded: dict[str, Any], tmp_path: Path) -> None:
    document = json.loads((sharded["base"] / "shard-2.json").read_text())
    document["status"] = "error"
    document["summary"] = "the test suite did not finish within 5s"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    with pytest.raises(GateError, match="ended in error: the test suite did not finish"):
        merge([sharded["base"] / "shard-1.json", bad], sharded["sliced"])


def test_failures_in_a_shard_fail_the_merge(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "test_a.py": "def test_a():\n    assert 1 == 2\n",
            "test_b.py": "def test_b():\n    pass\n",
            "test_c.py": "def test_c():\n    pass\n",
        },
    )
    verdicts = []
    for k in (1, 2, 3, 4):
        out = tmp_path / f"s{k}.json"
        v = shard_run(project, f"{k}/4", out, "--coverage-min", "0")
        verdicts.append(out)
        if k == 4:
            # Three files, four shards: the last slice is empty, and says so.
            assert v["status"] == "skipped"
            assert v["summary"] == "shard 4/4 holds no tests (3 in all)"
    run = run_qualgate("merge", *map(str, verdicts), "--root", str(project))
    assert run.code == 1
    [finding] = run.findings
    assert (finding["rule"], finding["path"], finding["line"]) == ("test-failed", "test_a.py", 2)
    assert run.verdict["metrics"]["passed"] == 2


# ---------------------------------------------------------------------------
# The slicing rule itself (runs inside pytest; a plain function)


def test_assign_shards_by_test_count_without_durations() -> None:
    tests = [f"t/test_a.py::t{i}" for i in range(4)] + [
        "t/test_b.py::x",
        "t/test_b.py::y",
        "t/test_c.py::z",
        "t/test_d.py::w",
    ]
    assert assign_shards(tests, 2, None) == {
        "t/test_a.py": 1,
        "t/test_b.py": 2,
        "t/test_c.py": 2,
        "t/test_d.py": 2,
    }
    # Deterministic: the order of collection does not matter.
    assert assign_shards(list(reversed(tests)), 2, None) == assign_shards(tests, 2, None)


def test_assign_shards_balances_recorded_durations() -> None:
    tests = ["a.py::1", "a.py::2", "b.py::1", "c.py::1", "d.py::1"]
    durations = {"a.py::1": 0.1, "a.py::2": 0.1, "b.py::1": 5.0, "c.py::1": 3.0}
    # d.py is unknown: it weighs the median of the known (0.1, 0.1, 3.0, 5.0) = 1.55.
    # b (5) -> 1; c (3) -> 2; d (1.55) -> 2; a (0.2) -> 2: loads 5 and 4.75.
    assert assign_shards(tests, 2, durations) == {"b.py": 1, "c.py": 2, "d.py": 2, "a.py": 2}
    every = assign_shards(tests, 3, durations)
    assert sorted(set(every.values())) == [1, 2, 3]


def test_is_integration() -> None:
    assert is_integration("tests/x.py::t", {"integration"}, "integration", [])
    assert is_integration("tests/integration/x.py::t", set(), "integration", ["tests/integration"])
    assert not is_integration(
        "tests/integrationx/x.py::t", set(), "integration", ["tests/integration"]
    )
    assert not is_integration("tests/x.py::t", {"slow"}, "integration", ["tests/integration/"])
