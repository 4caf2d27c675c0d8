"""`qualgate all` on the demo service against the same tools run by hand, one after another.

Side by side in one run, on a copy of examples/demo-service (a git checkout):

- cold: every cache removed first (mypy's, ruff's, pytest's, __pycache__, qualgate's result
  cache) on both sides, interleaved; qualgate in parallel (the default) and with --jobs 1;
- fully cached: `qualgate all` again on the unchanged tree;
- lint-format unchanged: `qualgate lint-format` (answered from the result cache) against
  `ruff check` + `ruff format --check` + `mypy` run directly with warm caches;
- `qualgate --version`.

"By hand" is what a user would type for what the gates check: ruff check, ruff format
--check, mypy, coverage run -m pytest + coverage json, openapi-spec-validator on the
contract and on the app's generated document, alembic upgrade head + check + downgrade
base on a scratch SQLite file, and a SQLAlchemy script loading the seeds
(seed_by_hand.py). dependency-scan and artifact-validate have no by-hand side: qualgate
runs them anyway, so the ratios are conservative.

qualgate runs from a snapshot of src/ taken at the start (PYTHONPATH, byte-compiled), so
that edits to the checkout during the run do not change qualgate's own code under the
cache. Every command runs with bytecode writing on (PYTHONDONTWRITEBYTECODE removed), as on
a user's machine.

Run: .venv/bin/python benchmarks/all/bench.py [--cold-runs N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCRATCH = REPO / "benchmarks" / ".scratch" / "all"
BIN = Path(sys.executable).parent
PY = str(BIN / "python")
CACHES = (".mypy_cache", ".ruff_cache", ".pytest_cache", ".qualgate", "htmlcov", "__pycache__")

Step = tuple[list[str], Mapping[str, str]]


# A user's environment writes bytecode; a sandbox that forbids it would recompile every
# module on every start and measure that instead.
BASE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def sh(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
    subprocess.run(list(argv), cwd=cwd, env={**BASE_ENV, **(env or {})}, capture_output=True)


def snapshot_qualgate() -> Path:
    target = SCRATCH / "qualgate-src"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO / "src", target, ignore=shutil.ignore_patterns("__pycache__"))
    sh([PY, "-m", "compileall", "-q", str(target)], target)
    return target


def fresh_demo() -> Path:
    root = SCRATCH / "demo"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(
        REPO / "examples" / "demo-service", root, ignore=shutil.ignore_patterns(*CACHES)
    )
    git = {
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    sh(["git", "init", "-q", "-b", "main"], root)
    (root / ".gitignore").write_text(".qualgate/\n*.db\n", encoding="utf-8")
    sh(["git", "add", "-A"], root)
    sh(["git", "commit", "-q", "-m", "demo"], root, git)
    return root


def clear_caches(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.name in CACHES and path.is_dir() and ".git" not in path.parts:
            shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(".coverage*"):
        path.unlink()


def by_hand(root: Path, tmp: Path) -> list[Step]:
    db = {"DATABASE_URL": f"sqlite:///{tmp / 'migrations.db'}"}
    app_doc = tmp / "app-openapi.json"
    export = (
        "import json, sys; from demo_service.app import app; "
        f"json.dump(app.openapi(), open({str(app_doc)!r}, 'w'))"
    )
    return [
        ([str(BIN / "ruff"), "check", "."], {}),
        ([str(BIN / "ruff"), "format", "--check", "."], {}),
        ([str(BIN / "mypy")], {}),
        ([PY, "-m", "coverage", "run", "-m", "pytest", "-q"], {}),
        ([PY, "-m", "coverage", "json", "-o", str(tmp / "coverage.json")], {}),
        ([str(BIN / "openapi-spec-validator"), "openapi.yaml"], {}),
        ([PY, "-c", export], {}),
        ([str(BIN / "openapi-spec-validator"), str(app_doc)], {}),
        ([str(BIN / "alembic"), "upgrade", "head"], db),
        ([str(BIN / "alembic"), "check"], db),
        ([str(BIN / "alembic"), "downgrade", "base"], db),
        ([PY, str(HERE / "seed_by_hand.py"), str(tmp / "seed.db")], {}),
    ]


def timed(steps: Sequence[Step], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (children included) of running ``steps`` one after another."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for argv, env in steps:
        done = subprocess.run(
            argv, cwd=cwd, env={**BASE_ENV, **env}, capture_output=True, text=True
        )
        if done.returncode not in (0, 1):
            raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr[-800:]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def qualgate(src: Path, *args: str) -> Step:
    return ([PY, "-m", "qualgate", *args], {"PYTHONPATH": str(src)})


def verdict_of(src: Path, root: Path, *args: str) -> dict[str, object]:
    argv, env = qualgate(src, *args, "--format", "json")
    done = subprocess.run(argv, cwd=root, env={**BASE_ENV, **env}, capture_output=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    src = snapshot_qualgate()
    root = fresh_demo()
    tmp = SCRATCH / "tmp"
    tmp.mkdir(exist_ok=True)
    print(f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# load average before: {os.getloadavg()}")

    hand_steps = by_hand(root, tmp)
    cold: dict[str, list[tuple[float, float]]] = {"hand": [], "all": [], "all-serial": []}
    for _ in range(args.cold_runs):
        for name, steps in (
            ("hand", hand_steps),
            ("all", [qualgate(src, "all", ".")]),
            ("all-serial", [qualgate(src, "all", ".", "--jobs", "1")]),
        ):
            clear_caches(root)
            for db in tmp.glob("*.db"):
                db.unlink()
            cold[name].append(timed(steps, root))

    # Fully cached: the tree does not change between runs.
    timed([qualgate(src, "all", ".")], root)
    cached = [timed([qualgate(src, "all", ".")], root) for _ in range(args.runs)]
    last = verdict_of(src, root, "all", ".")

    # lint-format unchanged: the tools directly (warm caches) vs qualgate (result cache).
    direct_lint = by_hand(root, tmp)[:3]
    timed(direct_lint, root)
    lint_direct, lint_cached = [], []
    for _ in range(args.runs):
        lint_direct.append(timed(direct_lint, root))
        lint_cached.append(timed([qualgate(src, "lint-format", ".")], root))
    version = [timed([([str(BIN / "qualgate"), "--version"], {})], root) for _ in range(15)]

    def row(label: str, samples: list[tuple[float, float]], ref: float | None = None) -> str:
        wall = median([w for w, _ in samples])
        cpu = median([c for _, c in samples])
        ratio = f"{wall / ref:.2f}x" if ref else ""
        fastest = min(w for w, _ in samples)
        return f"| {label} | {wall:.3f} | {fastest:.3f} | {cpu:.3f} | {ratio} |"

    if args.cold_runs:
        hand_wall = median([w for w, _ in cold["hand"]])
        print(f"\n## cold, medians of {args.cold_runs} interleaved runs\n")
        print("| run | wall s | fastest s | CPU s | vs by hand |\n|---|---:|---:|---:|---:|")
        print(row("tools by hand, one after another", cold["hand"], hand_wall))
        print(row("`qualgate all` (parallel)", cold["all"], hand_wall))
        print(row("`qualgate all --jobs 1`", cold["all-serial"], hand_wall))
    print(f"\n## unchanged tree, medians of {args.runs}\n")
    print("| run | wall s | fastest s | CPU s | vs direct |\n|---|---:|---:|---:|---:|")
    print(row("`qualgate all`, fully cached", cached))
    direct_wall = median([w for w, _ in lint_direct])
    print(row("ruff check + ruff format --check + mypy (warm)", lint_direct, direct_wall))
    print(row("`qualgate lint-format` (cached)", lint_cached, direct_wall))
    print(row("`qualgate --version` (15 runs)", version))
    print(f"\n# last `all`: {last.get('summary')}")
    print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
