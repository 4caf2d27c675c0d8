"""lint-format on a flake8 + black + isort project against running the three tools directly.

The tree: real library source (fastapi, starlette, httpx from site-packages) in a
project whose config selects black, isort and flake8 (with flake8-bugbear), as the
FastAPI projects that prompted issue 15 do. The tools live in a venv of their own under
benchmarks/.scratch (built once), which the gate is pointed at with --python.

Cold: black's cache (BLACK_CACHE_DIR) is a fresh empty folder for every run of either
side (flake8 and isort keep none). Sides are interleaved run by run; medians reported.

Run: .venv/bin/python benchmarks/lint_format/toolchain_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRATCH = REPO / "benchmarks" / ".scratch" / "lint_format_toolchain"
PACKAGES = ("fastapi", "starlette", "httpx")
TOOLS = ("black", "isort", "flake8", "flake8-bugbear")
CONFIG = {
    "pyproject.toml": (
        '[project]\nname = "bench"\nversion = "0"\nrequires-python = ">=3.9"\n\n'
        '[tool.black]\nline-length = 100\n\n[tool.isort]\nprofile = "black"\nline_length = 100\n'
    ),
    ".flake8": "[flake8]\nmax-line-length = 100\nextend-ignore = E203, E501, B008\n",
}


def tools_python() -> Path:
    venv = SCRATCH / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *TOOLS], check=True)
    return python


def make_tree() -> Path:
    import importlib.util

    root = SCRATCH / "tree"
    if root.exists():
        return root
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit(f"{package} is not installed beside qualgate")
        shutil.copytree(
            spec.submodule_search_locations[0],
            root / "src" / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    for name, text in CONFIG.items():
        (root / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def timed(argv: list[str], root: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=root, env=env, capture_output=True, check=False)
    return time.perf_counter() - start


def timed_parallel(commands: list[list[str]], root: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    procs = [
        subprocess.Popen(c, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for c in commands
    ]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    python = tools_python()
    root = make_tree()
    qualgate = Path(sys.executable).parent / "qualgate"
    direct = [
        [str(python), "-m", "flake8", "."],
        [str(python), "-m", "black", "--check", "--diff", "."],
        [str(python), "-m", "isort", "--check-only", "--diff", "."],
    ]
    gate = [str(qualgate), "lint-format", ".", "--format", "json", "--python", str(python)]
    sides: dict[str, list[float]] = {"sequential": [], "parallel": [], "gate": []}
    for _ in range(args.runs):
        for side in sides:
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "BLACK_CACHE_DIR": cache}
                if side == "sequential":
                    sides[side].append(sum(timed(c, root, env) for c in direct))
                elif side == "parallel":
                    sides[side].append(timed_parallel(direct, root, env))
                else:
                    sides[side].append(timed(gate, root, env))
            print(f"  {side}: {sides[side][-1]:.2f} s", file=sys.stderr, flush=True)
    files = sum(1 for _ in (root / "src").rglob("*.py"))
    med = {k: statistics.median(v) for k, v in sides.items()}
    print(f"tree: {files} Python files ({', '.join(PACKAGES)}); {args.runs} runs, cold black cache")
    print("| direct, one after another (s) | direct, all three at once (s) | qualgate (s) |"
          " gate / one after another | gate / at once |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {med['sequential']:.2f} | {med['parallel']:.2f} | {med['gate']:.2f} | "
        f"{med['gate'] / med['sequential']:.2f} | {med['gate'] / med['parallel']:.2f} |"
    )


if __name__ == "__main__":
    main()
