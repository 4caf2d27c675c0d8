"""Cold start of `qualgate --version` and `qualgate <gate> --help`, side by side with peers.

Goal (issue 19): `qualgate --version` under 100 ms median (issue 2 asked for 150 ms); gate
modules are imported lazily, so the cost of one gate's dependencies is paid only by that
gate. Commands run with bytecode writing on (PYTHONDONTWRITEBYTECODE removed), as on a
user's machine: a sandbox that forbids it recompiles every edited module on every start.

Run: .venv/bin/python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GOAL_S = 0.100


def timed(argv: list[str], runs: int) -> float:
    """Median wall seconds of ``argv`` over ``runs`` runs (one warm-up run first)."""
    subprocess.run(argv, capture_output=True, check=False, env=ENV)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False, env=ENV)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    python = str(BIN / "python")
    cases = {
        "python -c pass (floor)": [python, "-c", "pass"],
        "python -c 'import click'": [python, "-c", "import click"],
        "qualgate --version": [str(BIN / "qualgate"), "--version"],
        "qualgate lint-format --help": [str(BIN / "qualgate"), "lint-format", "--help"],
        "qualgate openapi-lint --help": [str(BIN / "qualgate"), "openapi-lint", "--help"],
        "ruff --version (peer)": [str(BIN / "ruff"), "--version"],
        "mypy --version (peer)": [str(BIN / "mypy"), "--version"],
        "pytest --version (peer)": [python, "-m", "pytest", "--version"],
    }
    floor = None
    version = 0.0
    print(f"# load average: {os.getloadavg()}")
    print(f"| command | median ms ({args.runs} runs) | vs python floor |")
    print("|---|---:|---:|")
    for name, argv in cases.items():
        seconds = timed(argv, args.runs)
        floor = floor or seconds
        if name == "qualgate --version":
            version = seconds
        print(f"| `{name}` | {seconds * 1000:.0f} | {seconds / floor:.2f}x |")
    verdict = "met" if version < GOAL_S else "NOT met"
    print(
        f"\n`qualgate --version`: {version * 1000:.0f} ms, goal < {GOAL_S * 1000:.0f} ms: {verdict}"
    )


if __name__ == "__main__":
    main()
