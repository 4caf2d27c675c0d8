"""What the agent hook costs a turn: `qualgate hook claude` on a generated project.

Scenarios (medians of --runs runs, each a fresh process as an agent starts it):

- SessionStart on a clean tree and on a dirty one (the snapshot commit);
- Stop with nothing changed (no gate runs);
- Stop after a docs-only change (the change-scoped profile: integrity alone), side by side
  with `qualgate all` on the same change (every gate the project configures);
- the integrity gate alone on a change of 20 Python files.

Usage: .venv/bin/python benchmarks/agents/bench.py [--runs 5] [--modules 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUALGATE = [sys.executable, "-m", "qualgate"]
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=ENV, check=True, capture_output=True)


def generate(root: Path, modules: int) -> None:
    (root / "src/app").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\n\n[tool.pytest.ini_options]\n'
        'pythonpath = ["src"]\n\n[tool.coverage.run]\nsource = ["app"]\n\n'
        '[tool.qualgate.all]\ngates = ["lint-format", "run-tests", "integrity"]\n'
    )
    (root / "src/app/__init__.py").write_text('"""App."""\n')
    for i in range(modules):
        (root / f"src/app/m{i}.py").write_text(
            f'"""Module {i}."""\n\n\ndef f{i}(x: int) -> int:\n    """Double."""\n'
            "    return x * 2\n"
        )
        (root / f"tests/test_m{i}.py").write_text(
            f"from app.m{i} import f{i}\n\n\ndef test_f{i}() -> None:\n    assert f{i}(2) == 4\n"
        )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")


def payload(root: Path, event: str, active: bool = False) -> str:
    return json.dumps(
        {
            "session_id": "bench",
            "transcript_path": "/dev/null",
            "cwd": str(root),
            "hook_event_name": event,
            "stop_hook_active": active,
            "source": "startup",
        }
    )


def timed(argv: list[str], root: Path, stdin: str = "") -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=root, input=stdin, text=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modules", type=int, default=200)
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="qg-agents-bench-") as tmp:
        root = Path(tmp) / "app"
        generate(root, args.modules)
        hook = [*QUALGATE, "hook", "claude"]
        rows.append(
            (
                "SessionStart, clean tree",
                median(
                    [timed(hook, root, payload(root, "SessionStart")) for _ in range(args.runs)]
                ),
            )
        )
        for i in range(20):
            path = root / f"src/app/m{i}.py"
            path.write_text(path.read_text() + f"\nLIMIT_{i} = {i}\n")
        samples = []
        for _ in range(args.runs):
            shutil.rmtree(root / ".qualgate", ignore_errors=True)
            samples.append(timed(hook, root, payload(root, "SessionStart")))
        rows.append(("SessionStart, 20 files modified (snapshot commit)", median(samples)))
        rows.append(
            (
                "Stop, nothing changed since the session base",
                median([timed(hook, root, payload(root, "Stop")) for _ in range(args.runs)]),
            )
        )
        (root / "NOTES.md").write_text("# notes\n")
        docs_stop = median([timed(hook, root, payload(root, "Stop")) for _ in range(args.runs)])
        rows.append(("Stop, docs-only change (profile: integrity)", docs_stop))
        everything = median(
            [timed([*QUALGATE, "all", ".", "--format", "json"], root) for _ in range(args.runs)]
        )
        rows.append(
            ("`qualgate all` on the same tree (lint-format, run-tests, integrity)", everything)
        )
        rows.append(
            (
                "integrity alone, 20 files changed since HEAD",
                median(
                    [
                        timed([*QUALGATE, "integrity", ".", "--format", "json"], root)
                        for _ in range(args.runs)
                    ]
                ),
            )
        )
    print(f"| scenario ({args.modules} modules + {args.modules} test files) | median s |")
    print("|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")
    print(f"\nchange-scoped stop vs `qualgate all`: {docs_stop / everything:.2f}x")


if __name__ == "__main__":
    main()
