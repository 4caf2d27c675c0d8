"""lint-format against the tools it wraps, side by side on the same trees.

For each tree: `qualgate lint-format` (a fresh process, as CI runs it) against running
`ruff check`, `ruff format --check` and `mypy` directly, one after the other, as a user
would. mypy's cache is warmed first and kept (the usual case); a smaller cold-cache
round deletes `.mypy_cache` before every run of both sides.

Run: .venv/bin/python benchmarks/lint_format/bench.py [--runs N] [--cold-runs N]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRATCH = REPO / "benchmarks" / ".scratch" / "lint_format"
BIN = Path(sys.executable).parent
# The larger tree: real library source copied from site-packages into a src layout.
LARGE_PACKAGES = ("fastapi", "starlette", "httpx")


@dataclass(frozen=True)
class Tree:
    name: str
    root: Path
    mypy_args: tuple[str, ...]


def make_large_tree() -> Tree:
    import importlib.util

    root = SCRATCH / "large"
    if root.exists():
        shutil.rmtree(root)
    (root / "src").mkdir(parents=True)
    for package in LARGE_PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.origin is not None, package
        shutil.copytree(
            Path(spec.origin).parent,
            root / "src" / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "large"\nversion = "0"\n\n[tool.ruff]\nline-length = 100\n',
        encoding="utf-8",
    )
    # No mypy config: the gate picks the packages under src/, as the direct run does.
    return Tree("large (fastapi+starlette+httpx)", root, tuple(f"src/{p}" for p in LARGE_PACKAGES))


def count_lines(root: Path) -> tuple[int, int]:
    files = [
        p
        for p in root.rglob("*.py")
        if not any(part.startswith(".") or part in ("build",) for part in p.relative_to(root).parts)
    ]
    return len(files), sum(len(p.read_bytes().splitlines()) for p in files)


@dataclass(frozen=True)
class Sample:
    """Wall-clock seconds, and CPU seconds (user + system) of the child processes."""

    wall: float
    cpu: float

    def __add__(self, other: Sample) -> Sample:
        return Sample(self.wall + other.wall, self.cpu + other.cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: Sequence[str], cwd: Path) -> Sample:
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(list(argv), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Sample(time.perf_counter() - start, _children_cpu() - cpu)


def direct(tree: Tree) -> Sample:
    ruff = str(BIN / "ruff")
    total = timed([ruff, "check", "."], tree.root)
    total += timed([ruff, "format", "--check", "."], tree.root)
    total += timed([sys.executable, "-m", "mypy", *tree.mypy_args], tree.root)
    return total


def direct_concurrent(tree: Tree) -> Sample:
    """The same three commands started together: the floor for a concurrent gate."""
    ruff = str(BIN / "ruff")
    commands = [
        [ruff, "check", "."],
        [ruff, "format", "--check", "."],
        [sys.executable, "-m", "mypy", *tree.mypy_args],
    ]
    cpu, start = _children_cpu(), time.perf_counter()
    procs = [
        subprocess.Popen(c, cwd=tree.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for c in commands
    ]
    for proc in procs:
        proc.wait()
    return Sample(time.perf_counter() - start, _children_cpu() - cpu)


def gate(tree: Tree) -> Sample:
    return timed([str(BIN / "qualgate"), "lint-format", ".", "--format", "json"], tree.root)


def drop_cache(tree: Tree) -> None:
    shutil.rmtree(tree.root / ".mypy_cache", ignore_errors=True)
    shutil.rmtree(tree.root / ".ruff_cache", ignore_errors=True)


def _median(samples: list[Sample], what: str) -> float:
    if not samples:
        return float("nan")
    return statistics.median(getattr(s, what) for s in samples)


def measure(tree: Tree, runs: int, cold_runs: int) -> dict[str, float]:
    gate(tree)  # warm mypy's and ruff's caches and the OS file cache
    direct(tree)
    direct_times: list[Sample] = []
    concurrent_times: list[Sample] = []
    gate_times: list[Sample] = []
    for _ in range(runs):  # interleaved, so drift hits every side alike
        direct_times.append(direct(tree))
        concurrent_times.append(direct_concurrent(tree))
        gate_times.append(gate(tree))
    cold_direct: list[Sample] = []
    cold_gate: list[Sample] = []
    for _ in range(cold_runs):
        drop_cache(tree)
        cold_direct.append(direct(tree))
        drop_cache(tree)
        cold_gate.append(gate(tree))
    result = {}
    for what in ("wall", "cpu"):
        result[f"direct_{what}"] = _median(direct_times, what)
        result[f"concurrent_{what}"] = _median(concurrent_times, what)
        result[f"gate_{what}"] = _median(gate_times, what)
        result[f"cold_direct_{what}"] = _median(cold_direct, what)
        result[f"cold_gate_{what}"] = _median(cold_gate, what)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    repo_copy = SCRATCH / "repo"
    # A snapshot of this repo, so the numbers do not move with edits made meanwhile.
    if repo_copy.exists():
        shutil.rmtree(repo_copy)
    shutil.copytree(
        REPO,
        repo_copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".mypy_cache", ".ruff_cache", ".scratch", "__pycache__", ".qualgate"
        ),
    )
    trees = [Tree("this repo (qualgate)", repo_copy, ()), make_large_tree()]
    rows = []
    for tree in trees:
        files, lines = count_lines(tree.root)
        print(f"measuring {tree.name}: {files} files, {lines} lines", file=sys.stderr)
        result = measure(tree, args.runs, args.cold_runs)
        rows.append((tree, files, lines, result))
    print(
        "| tree | files | lines | direct, one after another (s) | qualgate lint-format (s) "
        "| ratio | direct, all three at once (s) | gate / at once "
        "| CPU: direct (s) | CPU: gate (s) | CPU ratio | cold: direct (s) | cold: gate (s) "
        "| cold ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for tree, files, lines, r in rows:
        print(
            f"| {tree.name} | {files} | {lines} | {r['direct_wall']:.3f} | {r['gate_wall']:.3f} "
            f"| {r['gate_wall'] / r['direct_wall']:.2f} | {r['concurrent_wall']:.3f} "
            f"| {r['gate_wall'] / r['concurrent_wall']:.2f} "
            f"| {r['direct_cpu']:.3f} | {r['gate_cpu']:.3f} "
            f"| {r['gate_cpu'] / r['direct_cpu']:.2f} "
            f"| {r['cold_direct_wall']:.2f} | {r['cold_gate_wall']:.2f} "
            f"| {r['cold_gate_wall'] / r['cold_direct_wall']:.2f} |"
        )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"\nmedians of {args.runs} warm runs (mypy cache kept) and {args.cold_runs} cold runs "
        f"(.mypy_cache and .ruff_cache deleted); {machine}; "
        f"load average at the end {os.getloadavg()[0]:.1f}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


if __name__ == "__main__":
    main()
