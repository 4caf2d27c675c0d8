"""run-tests gate vs plain ``coverage run -m pytest`` + ``coverage json``, and 2 shards vs 1 run.

Suites:

- the demo service (``examples/demo-service``, copied to scratch so runs do not race);
- a generated suite: ``--files`` test files (default 300) of 6 tests each, over a package of
  60 modules, with ``source`` and ``branch`` coverage configured.

For each suite and each repetition (``--runs``, default 5, medians reported):

- baseline: ``python -m coverage run -m pytest -q`` then ``python -m coverage json``;
- qualgate: ``qualgate run-tests SUITE --format json`` (the console script, so CLI start-up,
  the plugin, combining and judging are all counted);
- sharded (generated suite only): ``--shard 1/2`` and ``--shard 2/2`` started together
  (2 cores), then ``qualgate merge``; wall time from start to merged verdict.

Run: ``.venv/bin/python benchmarks/run_tests/bench.py`` (``--runs N``, ``--files N``;
``--shards-only`` for the shard comparison alone).
Scratch files go to benchmarks/.scratch/run_tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRATCH = REPO / "benchmarks" / ".scratch" / "run_tests"
BIN = Path(sys.executable).parent
QUALGATE = str(BIN / "qualgate")
PY = sys.executable

MODULE = """\
def scale_{i}(values, factor):
    out = []
    for value in values:
        if value < 0:
            out.append(0)
        else:
            out.append(value * factor)
    return out


def describe_{i}(value):
    if value > 100:
        return "big"
    if value > 10:
        return "medium"
    return "small"


def unused_{i}(value):
    return value - {i}
"""

TEST = """\
import pytest

from gen.mod_{m} import describe_{m}, scale_{m}


def test_scale_{n}():
    assert scale_{m}([1, -1, 2], 2) == [2, 0, 4]


@pytest.mark.parametrize(("value", "word"), [(1, "small"), (50, "medium"), (500, "big")])
def test_describe_{n}(value, word):
    assert describe_{m}(value) == word


def test_empty_{n}():
    assert scale_{m}([], 3) == []


def test_arith_{n}():
    assert sum(range({n} % 50)) >= 0
"""


def generate(root: Path, files: int) -> Path:
    if root.exists():
        shutil.rmtree(root)
    (root / "src" / "gen").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\ntestpaths = ['tests']\npythonpath = ['src']\n\n"
        "[tool.coverage.run]\nsource = ['gen']\nbranch = true\n\n"
        "[tool.qualgate.run-tests]\ncoverage-min = 50\n"
    )
    (root / "src" / "gen" / "__init__.py").write_text("")
    modules = min(60, files)
    for i in range(modules):
        (root / "src" / "gen" / f"mod_{i}.py").write_text(MODULE.format(i=i))
    for n in range(files):
        (root / "tests" / f"test_gen_{n}.py").write_text(TEST.format(n=n, m=n % modules))
    return root


def timed(action: Callable[[], None]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the child processes).

    CPU time is what tells overhead apart on a shared, loaded machine: wall time there
    swings with other people's work, CPU time much less.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    action()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def clean(root: Path) -> None:
    for path in root.glob(".coverage*"):
        path.unlink()
    for name in ("coverage.json", ".qualgate"):
        target = root / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def check(argv: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        raise SystemExit(f"{argv} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr}")


def baseline(root: Path) -> None:
    check([PY, "-m", "coverage", "run", "-m", "pytest", "-q"], root)
    check([PY, "-m", "coverage", "json", "-q"], root)


def gate(root: Path) -> None:
    check([QUALGATE, "run-tests", str(root), "--python", PY, "--format", "json"], root)


def sharded(root: Path) -> None:
    procs = [
        subprocess.Popen(
            [
                QUALGATE,
                "run-tests",
                str(root),
                "--python",
                PY,
                "--shard",
                f"{k}/2",
                "--format",
                "json",
            ],
            cwd=root,
            stdout=open(root / f"shard-{k}.json", "w"),  # noqa: SIM115 - closed by the child
            stderr=subprocess.DEVNULL,
        )
        for k in (1, 2)
    ]
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit("a shard failed")
    check(
        [
            QUALGATE,
            "merge",
            "shard-1.json",
            "shard-2.json",
            "--root",
            str(root),
            "--format",
            "json",
        ],
        root,
    )


def measure(
    root: Path, actions: dict[str, Callable[[Path], None]], runs: int
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds per action; the actions alternate within each round,
    so load drifts on a shared machine hit them alike."""
    walls: dict[str, list[float]] = {name: [] for name in actions}
    cpus: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            clean(root)
            wall, cpu = timed(lambda: action(root))  # noqa: B023 - called at once
            walls[name].append(wall)
            cpus[name].append(cpu)
    out = {}
    for name in actions:
        out[name] = (statistics.median(walls[name]), statistics.median(cpus[name]))
        print(
            f"  {name:<10} wall {out[name][0]:6.3f}s cpu {out[name][1]:6.3f}s  "
            f"walls {[round(v, 2) for v in walls[name]]} cpus {[round(v, 2) for v in cpus[name]]}",
            file=sys.stderr,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument(
        "--shards-only",
        action="store_true",
        help="only the generated suite: one qualgate run vs 2 shards + merge",
    )
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    demo = SCRATCH / "demo-service"
    if demo.exists():
        shutil.rmtree(demo)
    shutil.copytree(
        REPO / "examples" / "demo-service",
        demo,
        ignore=shutil.ignore_patterns(".*_cache", ".qualgate", "*.egg-info", "__pycache__"),
    )
    big = generate(SCRATCH / "generated", args.files)
    rows: list[tuple[str, str, float, float, str, str]] = []
    suites = [(f"generated ({args.files} files)", big)]
    if not args.shards_only:
        suites.insert(0, ("demo service", demo))
    for label, root in suites:
        print(label, file=sys.stderr)
        actions: dict[str, Callable[[Path], None]] = {"qualgate": gate}
        if not args.shards_only:
            actions = {"baseline": baseline, **actions}
        if root is big:
            actions["sharded"] = sharded
        m = measure(root, actions, args.runs)
        qw, qc = m["qualgate"]
        if "baseline" in m:
            bw, bc = m["baseline"]
            rows.append(
                (label, "`coverage run -m pytest` + `coverage json`", bw, bc, "1.00", "1.00")
            )
            rows.append((label, "`qualgate run-tests`", qw, qc, f"{qw / bw:.2f}", f"{qc / bc:.2f}"))
        else:
            rows.append((label, "`qualgate run-tests`", qw, qc, "1.00", "1.00"))
        if "sharded" in m:
            sw, sc = m["sharded"]
            rows.append(
                (
                    label,
                    "`--shard 1/2` ‖ `--shard 2/2` + `qualgate merge` (vs one qualgate run)",
                    sw,
                    sc,
                    f"{sw / qw:.2f}",
                    f"{sc / qc:.2f}",
                )
            )
    print("| suite | command | wall median (s) | CPU median (s) | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|---|")
    for label, command, wall, cpu, wall_ratio, cpu_ratio in rows:
        print(f"| {label} | {command} | {wall:.3f} | {cpu:.3f} | {wall_ratio} | {cpu_ratio} |")
    print()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"medians of {args.runs} runs, {dt.date.today().isoformat()}"
    )


if __name__ == "__main__":
    main()
