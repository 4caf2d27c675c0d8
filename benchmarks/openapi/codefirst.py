"""openapi-lint on a code-first app: spec generation + lint + contract check, and the
breaking-change comparison of the 4 MB GitHub pair, side by side.

Code-first: a FastAPI app of 200 routes (50 resources x list/create/get/replace/delete
minus one, 100 Pydantic models), written to a scratch folder, with a contract (the app's
own document with a few deviations). Measured, each a fresh process (median of
``--runs``; wall, CPU of the process tree, peak RSS):

- ``generate only``: the floor, ``python -c "import app.main; app.main.app.openapi()"``
  in the same interpreter (what any tool that generates the document pays);
- ``generate + validate`` (the nearest peer pipeline): the floor plus
  openapi-spec-validator on the document it writes;
- ``qualgate``: ``qualgate openapi-lint ROOT --contract contract.json`` (generation in the
  project's interpreter with the guard, load, refs, structure, every rule, the contract
  check, the verdict), ``--no-cache``.

Pair: ``qualgate openapi-lint --against`` on the GitHub pair (the whole gate, ``--no-cache``),
and the comparison alone in-process (loading the older version + comparing, CPU).

Run: .venv/bin/python benchmarks/openapi/codefirst.py [--runs 5]
Prints a markdown table (benchmarks/openapi/RESULTS.md holds the last one).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAIRS = REPO.parent / "shared" / "openapi-corpus" / "pairs"
BIN = Path(sys.executable).parent
RESOURCES = 50


def write_app(root: Path) -> None:
    """A 200-route FastAPI app with two models per resource."""
    lines = [
        "from enum import Enum",
        "",
        "from fastapi import FastAPI, HTTPException",
        "from pydantic import BaseModel, Field",
        "",
        'app = FastAPI(title="Bench", version="1.0")',
        "",
        "",
        "class Status(str, Enum):",
        '    active = "active"',
        '    retired = "retired"',
        "",
    ]
    routes = 0
    for i in range(RESOURCES):
        name = f"Thing{i}"
        lines += [
            "",
            f"class {name}In(BaseModel):",
            "    name: str = Field(max_length=80)",
            "    size: int = Field(ge=0)",
            "    tags: list[str] = []",
            "    status: Status = Status.active",
            "",
            "",
            f"class {name}({name}In):",
            "    id: int",
            "",
        ]
        path = f"/things{i}"
        ops = [
            (
                "get",
                path,
                f"list_{i}",
                f"def list_{i}(limit: int = 10, offset: int = 0) -> list[{name}]:\n    return []",
            ),
            (
                "post",
                path,
                f"create_{i}",
                f"def create_{i}(body: {name}In) -> {name}:\n"
                f"    return {name}(id=1, **body.model_dump())",
            ),
            (
                "get",
                path + "/{item_id}",
                f"get_{i}",
                f"def get_{i}(item_id: int) -> {name}:\n    raise HTTPException(404)",
            ),
            (
                "put",
                path + "/{item_id}",
                f"put_{i}",
                f"def put_{i}(item_id: int, body: {name}In)"
                f" -> {name}:\n    return {name}(id=item_id, **body.model_dump())",
            ),
            (
                "delete",
                path + "/{item_id}",
                f"delete_{i}",
                f"def delete_{i}(item_id: int) -> None:\n    return None",
            ),
        ]
        for method, route, op_id, body in ops:
            if routes >= 200:
                break
            lines += ["", f'@app.{method}("{route}", operation_id="{op_id}", tags=["t{i}"])', body]
            routes += 1
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "main.py").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_contract(root: Path) -> Path:
    """The app's own document, with deviations: a missing parameter, a type, an operation."""
    done = subprocess.run(
        [sys.executable, "-c", "import json, app.main; print(json.dumps(app.main.app.openapi()))"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    spec = json.loads(done.stdout)
    spec["paths"]["/things0"]["get"]["parameters"].append(
        {"name": "q", "in": "query", "schema": {"type": "string"}}
    )
    spec["components"]["schemas"]["Thing1"]["properties"]["size"] = {"type": "string"}
    spec["paths"]["/things2/{item_id}"].pop("delete")
    path = root / "contract.json"
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return path


def measure(argv: list[str], cwd: Path, runs: int) -> tuple[float, float, float]:
    """Median wall s, median CPU s (process tree), peak RSS MB."""
    walls, cpus, rss = [], [], 0.0
    for _ in range(runs):
        started = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            proc = subprocess.Popen(argv, cwd=cwd, stdout=sink, stderr=sink)
            _, _status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
        rss = max(rss, usage.ru_maxrss / 1024)
    return statistics.median(walls), statistics.median(cpus), rss


def comparison_only(runs: int) -> float:
    """CPU seconds of loading the older GitHub document and comparing, in-process."""
    code = f"""
import time
from pathlib import Path
from qualgate.gates.openapi_lint.breaking import compare
from qualgate.gates.openapi_lint.lint import Settings, load_spec
from qualgate.policy import gc_paused
P = Path({str(PAIRS)!r})
s = Settings()
with gc_paused():
    new, _, _ = load_spec(P / "github-2022-07-18-58592853.json", "new.json", P, s)
    t = time.process_time()
    old, _, _ = load_spec(P / "github-2022-07-14-d4f05e01.json", "old.json", P, s)
    compare(old, new)
    print(time.process_time() - t)
"""
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        samples.append(float(done.stdout.strip()))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="qualgate-codefirst-") as tmp:
        root = Path(tmp)
        write_app(root)
        contract = write_contract(root)
        generate = [
            sys.executable,
            "-c",
            "import json, app.main; "
            "open('spec.json', 'w').write(json.dumps(app.main.app.openapi()))",
        ]
        floor = measure(generate, root, args.runs)
        validate = measure(
            [sys.executable, "-m", "openapi_spec_validator", str(root / "spec.json")],
            root,
            args.runs,
        )
        qualgate = measure(
            [
                str(BIN / "qualgate"),
                "openapi-lint",
                str(root),
                "--contract",
                str(contract),
                "--no-cache",
                "--format",
                "json",
                "--verdict-dir",
                str(root / "verdicts"),
            ],
            root,
            args.runs,
        )
        peer = (floor[0] + validate[0], floor[1] + validate[1], max(floor[2], validate[2]))
        rows.append(("generate only (the floor)", floor))
        rows.append(("generate + openapi-spec-validator", peer))
        rows.append(("qualgate: generate + lint + contract", qualgate))
    pair = [
        str(BIN / "qualgate"),
        "openapi-lint",
        str(PAIRS),
        "--specs",
        "github-2022-07-18-58592853.json",
        "--against",
        str(PAIRS / "github-2022-07-14-d4f05e01.json"),
        "--no-cache",
        "--format",
        "json",
        "--verdict-dir",
        str(Path(tempfile.gettempdir()) / "qualgate-bench-verdicts"),
    ]
    whole = measure(pair, REPO, args.runs)
    alone = comparison_only(args.runs)
    load = os.getloadavg()[0]
    print(
        f"Median of {args.runs} runs on {platform.node()} ({os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load:.1f}); wall s / CPU s / peak RSS MB.\n"
    )
    print("| 200-route FastAPI app | wall s | CPU s | RSS MB | / floor (wall) |")
    print("|---|---|---|---|---|")
    for name, (wall, cpu, rss) in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {wall / floor[0]:.1f}x |")
    print()
    print("| GitHub pair (4 MB) | wall s | CPU s | RSS MB |")
    print("|---|---|---|---|")
    print(f"| whole gate `--against` | {whole[0]:.2f} | {whole[1]:.2f} | {whole[2]:.0f} |")
    print(f"| comparison alone (load older + compare, in-process) | | {alone:.2f} | |")


if __name__ == "__main__":
    main()
