"""run-tests --shard K/N and `qualgate merge`: slices that add up to the whole run."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from qualgate.errors import GateError
from qualgate.gates.run_tests.inproject._qualgate_pytest import (
    is_integration,
    plan_shards,
    shard_for,
)
from qualgate.gates.run_tests.merge import merge
from qualgate.pipeline import finalize, utc_now
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
    # No durations yet: each file goes by a stable hash of its path. test_report.py (2)
    # and integration/test_flow.py (1) in shard 1, test_ops.py (7) in shard 2; a shard
    # collects only its own files.
    assert shard_for("tests/test_ops.py", 2, {}) == 2
    assert shard_for("tests/test_report.py", 2, {}) == 1
    assert shard_for("tests/integration/test_flow.py", 2, {}) == 1
    assert (v1["metrics"]["passed"], v1["metrics"]["tests_collected"]) == (3, 3)
    assert (v2["metrics"]["passed"], v2["metrics"]["tests_collected"]) == (7, 7)
    assert v1["metrics"]["tests_deselected"] == v2["metrics"]["tests_deselected"] == 0
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
    # merge gives the gate's judgement; the pipeline adds the envelope, as for `qualgate merge`.
    verdict = finalize(verdict, root=root, base=None, started_at=utc_now(), t0=time.monotonic())
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
    # By path hash: test_a.py and test_b.py in shard 3, test_c.py in shard 2.
    assert [shard_for(f"test_{x}.py", 4, {}) for x in "abc"] == [3, 3, 2]
    for k in (1, 2, 3, 4):
        out = tmp_path / f"s{k}.json"
        v = shard_run(project, f"{k}/4", out, "--coverage-min", "0")
        verdicts.append(out)
        if k in (1, 4):
            # Three files, four shards: empty slices say so.
            assert v["status"] == "skipped"
            assert v["summary"] == f"shard {k}/4 holds no tests (3 test files in other shards)"
    run = run_qualgate("merge", *map(str, verdicts), "--root", str(project))
    assert run.code == 1
    [finding] = run.findings
    assert (finding["rule"], finding["path"], finding["line"]) == ("test-failed", "test_a.py", 2)
    assert run.verdict["metrics"]["passed"] == 2


# ---------------------------------------------------------------------------
# The slicing rule itself (runs inside pytest; a plain function)


def test_shard_for_without_durations_hashes_the_path() -> None:
    files = [f"tests/test_{n}.py" for n in range(200)]
    # Deterministic, every file in exactly one shard, and every shard gets some.
    for count in (1, 2, 3, 7):
        owners = [shard_for(f, count, {}) for f in files]
        assert owners == [shard_for(f, count, {}) for f in files]
        assert set(owners) == set(range(1, count + 1))
    # Stable across processes and releases: a fixed function of the path (sha256).
    assert [shard_for(f, 4, {}) for f in ("test_a.py", "test_b.py", "test_c.py")] == [3, 3, 2]


def test_plan_shards_balances_recorded_durations() -> None:
    durations = {"a.py::1": 0.1, "a.py::2": 0.1, "b.py::1": 5.0, "c.py::1": 3.0, "d.py::1": 1.5}
    # Heaviest first to the lightest shard: b (5) -> 1; c (3) -> 2; d (1.5) -> 2;
    # a (0.2) -> 2: loads 5 and 4.7.
    plan = plan_shards(durations, 2)
    assert plan == {"b.py": 1, "c.py": 2, "d.py": 2, "a.py": 2}
    # Planned files follow the plan; a file the plan does not know goes by hash.
    assert shard_for("b.py", 2, plan) == 1
    assert shard_for("e.py", 2, plan) == shard_for("e.py", 2, {})
    assert sorted(set(plan_shards(durations, 3).values())) == [1, 2, 3]
    assert plan_shards(None, 2) == {} == plan_shards({}, 3)
    # Deterministic: the order of the recorded durations does not matter.
    assert plan_shards(dict(reversed(list(durations.items()))), 2) == plan


def test_is_integration() -> None:
    assert is_integration("tests/x.py::t", {"integration"}, "integration", [])
    assert is_integration("tests/integration/x.py::t", set(), "integration", ["tests/integration"])
    assert not is_integration(
        "tests/integrationx/x.py::t", set(), "integration", ["tests/integration"]
    )
    assert not is_integration("tests/x.py::t", {"slow"}, "integration", ["tests/integration/"])


def test_a_shard_never_imports_another_shards_test_files(tmp_path: Path) -> None:
    # Every module logs its import; the shard must import its own test files only,
    # while conftest.py and non-test modules always load.
    log = "import pathlib, os\npathlib.Path(os.environ['IMPORT_LOG']).open('a').write({!r})\n"
    files = {
        "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        "tests/conftest.py": log.format("conftest\n") + "import helpers  # noqa\n",
        "tests/helpers.py": log.format("helpers\n"),
    }
    names = [f"tests/test_m{n}.py" for n in range(6)] + ["tests/sub/test_deep.py"]
    for name in names:
        files[name] = log.format(name + "\n") + "\n\ndef test_it():\n    pass\n"
    project = write_files(tmp_path / "p", files)
    imported: dict[int, list[str]] = {}
    verdicts = []
    for k in (1, 2):
        record = tmp_path / f"imports-{k}.log"
        os.environ["IMPORT_LOG"] = str(record)
        try:
            out = tmp_path / f"s{k}.json"
            v = shard_run(
                project, f"{k}/2", out, "--coverage-min", "0", "--", "-p", "no:cacheprovider"
            )
        finally:
            del os.environ["IMPORT_LOG"]
        verdicts.append(out)
        imported[k] = record.read_text().split()
        own = sorted(n for n in names if shard_for(n, 2, {}) == k)
        assert own, "both shards should hold files in this layout"
        assert sorted(n for n in imported[k] if n.startswith("tests/")) == own
        assert {"conftest", "helpers"} <= set(imported[k])
        assert v["metrics"]["passed"] == v["metrics"]["tests_collected"] == len(own)
    run = run_qualgate("merge", *map(str, verdicts), "--root", str(project))
    assert run.code == 0, run.stdout
    assert run.verdict["metrics"]["passed"] == run.verdict["metrics"]["tests_collected"] == 7
