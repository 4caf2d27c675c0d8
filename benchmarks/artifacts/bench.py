"""artifact-validate benchmark: 10,000 Markdown artifacts, and YAML files vs check-jsonschema.

Run: ``.venv/bin/python benchmarks/artifacts/bench.py [--runs 5] [--artifacts 10000] [--yaml 5000]``

Cases (each the whole CLI as a user runs it, startup included; medians of ``--runs``
rounds, each round running every case once):

1. ``qualgate artifact-validate`` on generated artifacts (RFCs, ADRs, tasks with links and
   anchors), default jobs (one worker per core), and ``--jobs 1`` (one process);
2. the same YAML files against the same schema: qualgate's ``schemas`` check vs
   ``check-jsonschema --schemafile``. check-jsonschema is installed into a scratch venv
   under ``benchmarks/.scratch`` (never into the project's .venv).

3. with ``--baseline REF``: qualgate as it was at git ``REF`` (its ``src/`` exported with
   ``git archive`` under benchmarks/.scratch/) on the same inputs, interleaved in the same
   rounds, so a change is compared on the same machine load.

Every tool must accept the generated (valid) input, else the timing would compare
different work: the script stops when one does not. The current qualgate runs with
``--no-cache`` (the result cache would answer every round after the first from the previous
verdict). Writes ``RESULTS.md`` beside itself.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCRATCH = REPO / "benchmarks" / ".scratch" / "artifacts"
CJS_VENV = REPO / "benchmarks" / ".scratch" / "cjs-venv"
QUALGATE = REPO / ".venv" / "bin" / "qualgate"

sys.path.insert(0, str(HERE))
import generate  # noqa: E402 - the generator lives beside this script


def ensure_check_jsonschema() -> Path:
    exe = CJS_VENV / "bin" / "check-jsonschema"
    if not exe.exists():
        print("installing check-jsonschema into", CJS_VENV, file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(CJS_VENV)], check=True)
        subprocess.run(
            [str(CJS_VENV / "bin" / "pip"), "install", "-q", "check-jsonschema"], check=True
        )
    return exe


def tool_version(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Runs of the baseline that hung (its forked workers could deadlock at exit: fixed since).
HUNG: dict[str, int] = {}


def run_once(argv: list[str], cwd: Path, tool: str = "") -> tuple[float, float]:
    """Wall and CPU time (user + system, worker processes included) of one run.

    A non-zero exit stops the benchmark: every tool must accept the (valid) input. A
    baseline run that times out (a hang of the old code) is counted and run again.
    """
    cpu_start = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode == 2 and "@" in tool and "timed out" in done.stdout:
        HUNG[tool] = HUNG.get(tool, 0) + 1
        return run_once(argv, cwd, tool)
    if done.returncode != 0:
        sys.exit(
            f"{' '.join(argv[:3])} ... exited {done.returncode}:\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return wall, _children_cpu() - cpu_start


def baseline_argv(ref: str) -> list[str]:
    """The qualgate command as it was at git ``ref`` (``src/`` exported once)."""
    sha = subprocess.run(
        ["git", "rev-parse", ref], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    target = REPO / "benchmarks" / ".scratch" / f"baseline-{sha[:12]}"
    if not (target / "src" / "qualgate").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha, "src"], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    src = str(target / "src")
    code = f"import sys; sys.path.insert(0, {src!r}); from qualgate.cli import main; main()"
    return [sys.executable, "-c", code]


def prepare(artifacts: int, yaml_files: int) -> tuple[Path, Path]:
    md_root = SCRATCH / f"md-{artifacts}"
    if not (md_root / ".done").exists():
        shutil.rmtree(md_root, ignore_errors=True)
        generate.artifacts(md_root, artifacts)
        (md_root / ".done").write_text("")
    yaml_root = SCRATCH / f"yaml-{yaml_files}"
    if not (yaml_root / ".done").exists():
        shutil.rmtree(yaml_root, ignore_errors=True)
        generate.yaml_files(yaml_root, yaml_files)
        (yaml_root / "pyproject.toml").write_text(
            "[tool.qualgate.artifact-validate]\n"
            'schemas = [{glob = "config/*.yaml", schema = "settings.schema.json"}]\n'
        )
        (yaml_root / ".done").write_text("")
    return md_root, yaml_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--artifacts", type=int, default=10_000)
    parser.add_argument("--yaml", type=int, default=5_000)
    parser.add_argument("--baseline", help="also time qualgate at this git ref")
    args = parser.parse_args()
    cjs = ensure_check_jsonschema()
    md_root, yaml_root = prepare(args.artifacts, args.yaml)
    common = ["--no-verdict-files", "--format", "json", "--no-cache"]
    md = f"{args.artifacts:,} Markdown artifacts"
    ymlname = f"{args.yaml:,} YAML files vs schema"
    files = sorted(str(p.relative_to(yaml_root)) for p in (yaml_root / "config").glob("*.yaml"))
    cases = [
        (md, "qualgate (default jobs)", [str(QUALGATE), GATE, ".", *common], md_root),
        (md, "qualgate --jobs 1", [str(QUALGATE), GATE, ".", *common, "--jobs", "1"], md_root),
        (ymlname, "qualgate (schemas check)", [str(QUALGATE), GATE, ".", *common], yaml_root),
        (
            ymlname,
            "check-jsonschema --schemafile",
            [str(cjs), "--schemafile", "settings.schema.json", *files],
            yaml_root,
        ),
    ]
    if args.baseline:
        old = [
            *baseline_argv(args.baseline),
            *(GATE, ".", "--no-verdict-files", "--format", "json", "--timeout", "30"),
        ]
        at = f"qualgate@{args.baseline}"
        cases += [
            (md, f"{at} (default jobs)", old, md_root),
            (md, f"{at} --jobs 1", [*old, "--jobs", "1"], md_root),
            (ymlname, f"{at} (schemas check)", old, yaml_root),
        ]
    # Rounds interleave the cases, so load that comes and goes hits them alike.
    samples: list[list[tuple[float, float]]] = [[] for _ in cases]
    for round_number in range(args.runs):
        for index, (_name, tool, argv, cwd) in enumerate(cases):
            samples[index].append(run_once(argv, cwd, tool))
        print(f"round {round_number + 1}/{args.runs} done", file=sys.stderr, flush=True)
    rows: list[tuple[str, str, float, float, float]] = []
    for (name, tool, _argv, _cwd), runs in zip(cases, samples, strict=True):
        walls = [w for w, _c in runs]
        rows.append(
            (
                name,
                tool,
                statistics.median(walls),
                min(walls),
                statistics.median(c for _w, c in runs),
            )
        )
    md_default, md_single, ours, theirs = (row[2] for row in rows[:4])
    write_results(
        args, rows, md_default, md_single, ours, theirs, tool_version([str(cjs), "--version"])
    )


GATE = "artifact-validate"


def write_results(
    args: argparse.Namespace,
    rows: list[tuple[str, str, float, float, float]],
    md_default: float,
    md_single: float,
    ours: float,
    theirs: float,
    cjs_version: str,
) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# artifact-validate benchmark",
        "",
        f"`benchmarks/artifacts/bench.py --runs {args.runs} --artifacts {args.artifacts} "
        f"--yaml {args.yaml}"
        + (f" --baseline {args.baseline}" if args.baseline else "")
        + "`: wall time of the whole command (startup included), median and "
        f"best of {args.runs} runs, and the median CPU time (user + system, worker processes "
        "included), which other load on the machine does not inflate.",
        "",
        "| input | tool | median s | best s | CPU s |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {name} | {tool} | {median:.2f} | {best:.2f} | {cpu:.2f} |"
            for name, tool, median, best, cpu in rows
        ),
        "",
        f"- {args.artifacts:,} artifacts (goal: under 2 s): {md_default:.2f} s median wall "
        f"with default jobs, {md_single:.2f} s in one process. The one-process run needs "
        f"{rows[1][4]:.2f} s of CPU, which is its wall time on an idle core; with one worker "
        f"per core the {rows[0][4]:.2f} s of CPU are shared by the cores. Wall times above "
        "that mean the machine was busy with other work (see the load average).",
        f"- YAML vs schema: qualgate {ours:.2f} s, check-jsonschema {theirs:.2f} s: "
        f"qualgate is {theirs / ours:.1f}x faster in wall time, "
        f"{rows[3][4] / rows[2][4]:.1f}x in CPU time ({cjs_version}).",
        *(
            [
                f"- against `{args.baseline}` (same rounds), CPU now / before: "
                f"10,000 artifacts default jobs {rows[0][4] / rows[4][4]:.2f}x, one process "
                f"{rows[1][4] / rows[5][4]:.2f}x; YAML schemas check "
                f"{rows[2][4] / rows[6][4]:.2f}x (wall: {rows[0][2] / rows[4][2]:.2f}x, "
                f"{rows[1][2] / rows[5][2]:.2f}x, {rows[2][2] / rows[6][2]:.2f}x)."
            ]
            if len(rows) > 4
            else []
        ),
        *(
            [
                "- the baseline hung (until its --timeout, then run again) "
                + ", ".join(f"{n}x for {t}" for t, n in sorted(HUNG.items()))
                + ": its forked workers inherited the run's SIGTERM handler and could deadlock "
                "when the pool ended them (fixed: workers restore the default handler)."
            ]
            if HUNG
            else []
        ),
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}; "
        f"{dt.date.today().isoformat()}; 1-minute load average at the end {load:.1f} "
        "(other work on the machine inflates wall times).",
        "",
        "While other sessions load the machine, Linux's autogroup scheduling gives a session one "
        "share of the CPU however many processes it runs, so the worker processes cannot win "
        "then (they cost about 25% more CPU in all); on an otherwise idle machine they split "
        "the CPU time above across the cores.",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
