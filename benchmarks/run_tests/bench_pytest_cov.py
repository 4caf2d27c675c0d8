"""run-tests vs the project's own `pytest` on a suite with pytest-cov and pytest-xdist in addopts.

The suite is the generated one of ``bench.py`` (``--files`` test files of 6 tests over a
package of 60 modules, ``branch`` coverage), with::

    [tool.pytest.ini_options]
    addopts = "--cov=gen --cov-report=term -n 2"

so the project's own command, ``python -m pytest``, measures with pytest-cov on 2 xdist
workers and prints its coverage table. qualgate runs the same suite with
``qualgate run-tests SUITE --python VENV/bin/python --format json``: it switches pytest-cov
off, measures with its own plugin in the controller and both workers, combines, reports and
judges. Both commands alternate within each round; medians of ``--runs`` rounds (default 5);
CPU is user + system time of all child processes.

The project's interpreter is a scratch venv with pytest, pytest-xdist, pytest-cov and
coverage from PyPI (``benchmarks/.scratch/run_tests/venv-cov``, built once).

Run: ``.venv/bin/python benchmarks/run_tests/bench_pytest_cov.py [--runs N] [--files N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import QUALGATE, SCRATCH, check, clean, generate, timed

VENV = SCRATCH / "venv-cov"
VPY = VENV / "bin" / "python"
REQUIREMENTS = ("pytest", "pytest-xdist", "pytest-cov", "coverage")
ADDOPTS = "--cov=gen --cov-report=term -n 2"


def venv() -> None:
    marker = VENV / ".ready"
    if marker.exists():
        return
    shutil.rmtree(VENV, ignore_errors=True)
    check([sys.executable, "-m", "venv", str(VENV)], SCRATCH)
    check([str(VPY), "-m", "pip", "install", "-q", *REQUIREMENTS], SCRATCH)
    marker.write_text("ok\n")


def suite(files: int) -> Path:
    root = generate(SCRATCH / "pytest-cov-xdist", files)
    text = (root / "pyproject.toml").read_text()
    text = text.replace(
        "[tool.pytest.ini_options]\n",
        f'[tool.pytest.ini_options]\naddopts = "{ADDOPTS}"\n',
    )
    (root / "pyproject.toml").write_text(text)
    return root


def own_pytest(root: Path) -> None:
    check([str(VPY), "-m", "pytest", "-q", "-p", "no:cacheprovider"], root)


def gate(root: Path) -> None:
    check([QUALGATE, "run-tests", str(root), "--python", str(VPY), "--format", "json"], root)


def versions() -> str:
    done = subprocess.run(
        [
            str(VPY),
            "-c",
            "import importlib.metadata as m; print(', '.join(f'{d} {m.version(d)}' for d in "
            "('pytest', 'pytest-xdist', 'pytest-cov', 'coverage')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def numbers(root: Path) -> tuple[float, float]:
    """Coverage: the project's own pytest-cov total vs qualgate's (same suite, same run)."""
    clean(root)
    check([str(VPY), "-m", "pytest", "-q", "--cov-report=json:theirs.json"], root)
    theirs = json.loads((root / "theirs.json").read_text())["totals"]["percent_covered"]
    clean(root)
    done = subprocess.run(
        [QUALGATE, "run-tests", str(root), "--python", str(VPY), "--format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    ours = json.loads(done.stdout)["metrics"]["coverage"]
    return float(theirs), float(ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    venv()
    root = suite(args.files)
    theirs, ours = numbers(root)
    print(f"coverage: pytest-cov {theirs:.2f}%, qualgate {ours:.2f}%", file=sys.stderr)
    walls: dict[str, list[float]] = {"pytest": [], "qualgate": []}
    cpus: dict[str, list[float]] = {"pytest": [], "qualgate": []}
    for _ in range(args.runs):
        for name, action in (("pytest", own_pytest), ("qualgate", gate)):
            clean(root)
            wall, cpu = timed(lambda: action(root))  # noqa: B023 - called at once
            walls[name].append(wall)
            cpus[name].append(cpu)
        print(f"  walls {walls} cpus {cpus}", file=sys.stderr)
    pw, pc = statistics.median(walls["pytest"]), statistics.median(cpus["pytest"])
    qw, qc = statistics.median(walls["qualgate"]), statistics.median(cpus["qualgate"])
    label = f"generated ({args.files} files, {args.files * 6} tests), `{ADDOPTS}`"
    print("| suite | command | wall median (s) | CPU median (s) | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {label} | `python -m pytest` (the project's own) | {pw:.3f} | {pc:.3f} | 1.00 | 1.00 |"
    )
    print(
        f"| {label} | `qualgate run-tests` | {qw:.3f} | {qc:.3f} | {qw / pw:.2f} | {qc / pc:.2f} |"
    )
    print()
    print(f"coverage total: pytest-cov {theirs:.2f}%, qualgate {ours:.2f}%")
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{versions()}, medians of {args.runs} rounds, {dt.date.today().isoformat()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
