"""openapi-lint against its peers, side by side on every corpus document.

Tools (each a fresh process, as CI runs it; median wall seconds of ``--runs`` runs and
the peak RSS of the process tree, from ``os.wait4``):

- ``qualgate openapi-lint --specs DOC`` (load, refs, structure, the whole ruleset);
- openapi-spec-validator (python, the structure reference; its default backend);
- Redocly CLI ``lint`` (recommended ruleset), Spectral ``lint`` (``spectral:oas``) and
  vacuum ``lint``, installed with npm into ``benchmarks/.scratch/node`` (``--install``);
  a peer that cannot be installed or run is skipped with a note.

Also times the breaking-change comparison of the two real pairs (``--against``).

Run: .venv/bin/python benchmarks/openapi/bench.py [--runs 3] [--install] [--only DOC]
Writes benchmarks/openapi/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "openapi-corpus"
SCRATCH = REPO / "benchmarks" / ".scratch" / "openapi"
NODE = REPO / "benchmarks" / ".scratch" / "node"
BIN = Path(sys.executable).parent
DOCUMENTS = (
    "oai-webhook-v3.1.yaml",
    "oai-petstore-v2.0.json",
    "oai-petstore-expanded-v3.0.yaml",
    "redocly-museum-v3.1.yaml",
    "discord-v3.1.json",
    "openai-v3.1.yaml",
    "plaid-v3.0.yaml",
    "github-v3.0.json",
    "kubernetes-v2.0.json",
    "stripe-v3.0.json",
)
PAIRS = (
    ("github-2022-07-14-d4f05e01.json", "github-2022-07-18-58592853.json"),
    ("stripe-2022-04-07.json", "stripe-2022-04-12.json"),
)
NPM_PACKAGES = ("@redocly/cli", "@stoplight/spectral-cli", "@quobix/vacuum")
PEER_TIMEOUT = 300.0
NOTES = [
    "",
    "Notes:",
    "",
    "- openapi-spec-validator 0.9 validates with jsonschema-rs when that package is installed",
    "  (it is here, for qualgate), which is why it is faster than the 5-18 s quoted for its",
    "  pure-Python backend; its time is mostly PyYAML loading and its Python keyword walk.",
    "- qualgate's CPU beyond the phase table is interpreter start-up and imports (~0.2 s),",
    "  freeing the loaded document, and rendering/fingerprinting the findings (~0.3 s for",
    "  600 findings). Loading a 3 MB YAML file is libyaml composition plus a Python",
    "  conversion with the cyclic GC paused (0.3 s; 0.8 s with the GC running).",
    "- Wall time on this shared 2-core machine varies with other jobs; CPU seconds are the",
    "  steadier comparison. Peak memory stays under 300 MB on every document.",
]


@dataclass
class Sample:
    seconds: float
    cpu: float
    rss_mb: float
    code: int


@dataclass
class Result:
    tool: str
    samples: list[Sample] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(s.seconds for s in self.samples) if self.samples else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(s.cpu for s in self.samples) if self.samples else None

    @property
    def rss(self) -> float | None:
        return max(s.rss_mb for s in self.samples) if self.samples else None


def measure(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Wall time, CPU time (user + system, the process tree) and peak RSS of one run.

    CPU seconds are reported beside wall seconds because the machine may be shared:
    under contention wall time grows for every tool, CPU time much less.
    """
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.Popen(
            argv, cwd=cwd, stdout=sink, stderr=sink, env={**os.environ, **(env or {})}
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except KeyboardInterrupt:
            proc.kill()
            raise
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(
        seconds=elapsed,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        code=proc.returncode,
    )


def install_peers() -> str:
    NODE.mkdir(parents=True, exist_ok=True)
    if not (NODE / "package.json").exists():
        (NODE / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    notes = []
    for package in NPM_PACKAGES:
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", package],
            cwd=NODE,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            last = [line for line in done.stderr.splitlines() if line.strip()][-3:]
            notes.append(f"{package}: npm install failed ({' / '.join(last)[:200]})")
    return "; ".join(notes)


def peers() -> dict[str, tuple[list[str], str]]:
    """Peer name -> (argv prefix, note when unavailable)."""
    out: dict[str, tuple[list[str], str]] = {}
    bins = NODE / "node_modules" / ".bin"
    ruleset = SCRATCH / "spectral.yaml"
    ruleset.parent.mkdir(parents=True, exist_ok=True)
    ruleset.write_text('extends: ["spectral:oas"]\n', encoding="utf-8")
    out["openapi-spec-validator"] = ([str(BIN / "python"), "-m", "openapi_spec_validator"], "")
    for name, argv in (
        ("redocly", [str(bins / "redocly"), "lint", "--format", "json"]),
        ("spectral", [str(bins / "spectral"), "lint", "-r", str(ruleset), "-f", "json"]),
        ("vacuum", [str(bins / "vacuum"), "lint", "-d"]),
    ):
        missing = (
            "not installed"
            if name != "vacuum"
            else (
                "not installed: its npm postinstall downloads the binary from GitHub releases, "
                "which this machine cannot reach"
            )
        )
        out[name] = (argv, "" if Path(argv[0]).exists() else missing)
    return out


def usable(name: str, argv: list[str]) -> str:
    """Empty when the peer runs on a small document, else why not."""
    doc = CORPUS / "oai-petstore-v2.0.json"
    try:
        done = subprocess.run(
            [*argv, str(doc)], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run: {exc}"
    text = (done.stdout + done.stderr).strip()
    if name == "vacuum" and ("vacuum binary" in text.lower() or done.returncode == 127):
        return "its npm package could not download the vacuum binary here"
    if done.returncode not in (0, 1) or (not text and name != "openapi-spec-validator"):
        return f"exit {done.returncode}: {text[-200:]}"
    return ""


def qualgate_argv(doc: Path, extra: list[str] | None = None) -> list[str]:
    return [
        str(BIN / "qualgate"),
        "openapi-lint",
        str(doc.parent),
        "--specs",
        doc.name,
        "--format",
        "json",
        "--verdict-dir",
        str(SCRATCH / "verdicts"),
        # Every run is a real one: the result cache would answer repeats in milliseconds.
        "--no-cache",
        *(extra or []),
    ]


def run_tool(argv: list[str], runs: int, cwd: Path) -> Result:
    result = Result(tool=argv[0])
    for _ in range(runs):
        sample = measure(argv, cwd)
        result.samples.append(sample)
        if sample.seconds > PEER_TIMEOUT:
            result.note = "over the time limit; fewer runs"
            break
    return result


def phases_table(documents: list[str]) -> list[str]:
    """Where qualgate's CPU time goes, per phase, measured in this process."""
    from qualgate.policy import gc_paused

    lines = [
        "Where qualgate's time goes (CPU seconds in-process, without interpreter start-up",
        "and imports, about 0.2 s):",
        "",
        "| document | load | refs | structure | rules | locate findings | findings |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in documents:
        with gc_paused():  # as the gate runs
            lines.append(_phases_row(name))
    return lines


def _phases_row(name: str) -> str:
    from qualgate.gates.openapi_lint import loader, structure
    from qualgate.gates.openapi_lint.lint import Settings, to_findings
    from qualgate.gates.openapi_lint.model import Spec, detect_version
    from qualgate.gates.openapi_lint.refs import Resolver
    from qualgate.gates.openapi_lint.rules.ruleset import CHECKS

    clock = time.process_time
    t0 = clock()
    doc, _ = loader.load_file(CORPUS / name, name)
    t1 = clock()
    assert doc is not None
    resolver = Resolver(doc, CORPUS)
    issues = resolver.check()
    t2 = clock()
    version = detect_version(doc.data) or "3.0"
    issues += structure.validate(doc, version)
    t3 = clock()
    spec = Spec(doc, resolver, version)
    for check in CHECKS.values():
        if version in check.versions:
            issues += check.run(spec)
    t4 = clock()
    found = to_findings(issues, Settings())
    t5 = clock()
    cells = [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]
    return f"| {name} | " + " | ".join(f"{c:.2f}" for c in cells) + f" | {len(found)} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--install", action="store_true", help="npm install the peers first")
    parser.add_argument("--only", action="append", default=[], help="limit to these documents")
    parser.add_argument("--skip", action="append", default=[], help="peers to leave out")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--phases-only", action="store_true", help="print the per-phase CPU table and exit"
    )
    parser.add_argument(
        "--refresh-qualgate",
        action="store_true",
        help="re-measure only qualgate; keep the peers' numbers from RESULTS.md",
    )
    args = parser.parse_args()
    if args.refresh_qualgate:
        return refresh_qualgate(args.runs)
    if args.phases_only:
        print("\n".join(phases_table(list(DOCUMENTS))))
        return 0
    if not CORPUS.exists():
        print(f"{CORPUS} is absent", file=sys.stderr)
        return 2
    SCRATCH.mkdir(parents=True, exist_ok=True)
    install_note = install_peers() if args.install else ""
    tools = peers()
    notes: dict[str, str] = {}
    for name, (argv, note) in tools.items():
        if name in args.skip:
            notes[name] = "left out (--skip)"
        elif note:
            notes[name] = note
        else:
            why = usable(name, argv)
            if why:
                notes[name] = why
    active = [n for n in tools if n not in notes]
    documents = [d for d in DOCUMENTS if not args.only or d in args.only]
    rows = []
    for doc_name in documents:
        doc = CORPUS / doc_name
        ours = run_tool(qualgate_argv(doc), args.runs, SCRATCH)
        theirs = {n: run_tool([*tools[n][0], str(doc)], args.runs, SCRATCH) for n in active}
        rows.append((doc_name, doc.stat().st_size, ours, theirs))
        line = f"{doc_name}: qualgate {_cell(ours)} | " + " | ".join(
            f"{n} {_cell(r)}" for n, r in theirs.items()
        )
        print(line, flush=True)
    pair_rows = []
    for old, new in PAIRS:
        pairs = CORPUS / "pairs"
        result = run_tool(
            qualgate_argv(pairs / new, ["--against", str(pairs / old)]), args.runs, SCRATCH
        )
        pair_rows.append((f"{old} -> {new}", result))
        print(f"pair {old}->{new}: {_cell(result)}", flush=True)
    if not args.no_write:
        write_results(rows, pair_rows, active, notes, install_note, args.runs)
    return 0


def _parse_cell(text: str) -> Result:
    result = Result(tool="")
    parts = [p.strip() for p in text.split("(exit")[0].split("/")]
    if len(parts) == 3:
        wall, cpu, rss = (float(p) for p in parts)
        result.samples.append(Sample(seconds=wall, cpu=cpu, rss_mb=rss, code=0))
    return result


def refresh_qualgate(runs: int) -> int:
    """Re-measure qualgate after a change; the peers' cells are read back from RESULTS.md."""
    path = REPO / "benchmarks" / "openapi" / "RESULTS.md"
    text = path.read_text(encoding="utf-8").splitlines()
    header = next(line for line in text if line.startswith("| document |"))
    names = [c.strip() for c in header.strip("|").split("|")]
    active = names[3:-2]
    rows = []
    for line in text:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not line.startswith("| ") or cells[0] not in DOCUMENTS:
            continue
        doc = CORPUS / cells[0]
        theirs = {n: _parse_cell(cells[3 + i]) for i, n in enumerate(active)}
        ours = run_tool(qualgate_argv(doc), runs, SCRATCH)
        print(f"{cells[0]}: qualgate {_cell(ours)}", flush=True)
        rows.append((cells[0], doc.stat().st_size, ours, theirs))
    notes = {}
    for line in text:
        if line.startswith("- ") and ": " in line and not line.startswith("- install"):
            name, why = line[2:].split(": ", 1)
            notes[name] = why
    pair_rows = []
    for old, new in PAIRS:
        pairs = CORPUS / "pairs"
        result = run_tool(
            qualgate_argv(pairs / new, ["--against", str(pairs / old)]), runs, SCRATCH
        )
        pair_rows.append((f"{old} -> {new}", result))
    write_results(rows, pair_rows, active, notes, "", runs)
    return 0


def write_results(
    rows: list[tuple[str, int, Result, dict[str, Result]]],
    pair_rows: list[tuple[str, Result]],
    active: list[str],
    notes: dict[str, str],
    install_note: str,
    runs: int,
) -> None:
    header = ["document", "size", "qualgate", *active]
    header += ["fastest peer / qualgate (wall)", "(cpu)"]
    lines = [
        "# openapi-lint benchmark",
        "",
        f"Median wall seconds of {runs} runs (fresh process each) and peak RSS, measured by",
        "`benchmarks/openapi/bench.py` on "
        f"{platform.node() or 'this machine'} ({os.cpu_count()} cores, "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},",
        f"load average {os.getloadavg()[0]:.1f} at the end). Cells: wall s / CPU s / peak RSS MB.",
        "qualgate runs the whole gate (load, refs, structure, every rule); peers run their",
        "default rulesets (Redocly `recommended`, Spectral `spectral:oas`).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for doc_name, size, ours, theirs in rows:
        cells = [doc_name, f"{size / 1e6:.2f} MB", _cell(ours)]
        cells += [_cell(theirs[n]) for n in active]
        peer_times = [r.median for r in theirs.values() if r.median is not None]
        peer_cpu = [r.cpu for r in theirs.values() if r.cpu is not None]
        best = min(peer_times) if peer_times else None
        best_cpu = min(peer_cpu) if peer_cpu else None
        cells.append(f"{best / ours.median:.1f}x" if best and ours.median else "-")
        cells.append(f"{best_cpu / ours.cpu:.1f}x" if best_cpu and ours.cpu else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Breaking-change comparison (`--against`, the whole gate on the new side too):",
        "",
    ]
    lines += ["| pair | qualgate (wall s / CPU s / RSS MB) |", "|---|---|"]
    lines += [f"| {name} | {_cell(result)} |" for name, result in pair_rows]
    lines += ["", *phases_table([name for name, _, _, _ in rows]), *NOTES]
    if notes or install_note:
        lines += ["", "Peers not measured:", ""]
        lines += [f"- {name}: {why}" for name, why in notes.items()]
        if install_note:
            lines.append(f"- install: {install_note}")
    lines.append("")
    (REPO / "benchmarks" / "openapi" / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")


def _cell(result: Result) -> str:
    if result.median is None:
        return "-"
    failed = any(s.code not in (0, 1) for s in result.samples)
    mark = " (exit " + str(result.samples[0].code) + ")" if failed else ""
    return f"{result.median:.2f} / {result.cpu:.2f} / {result.rss:.0f}{mark}"


if __name__ == "__main__":
    shutil.rmtree(SCRATCH / "verdicts", ignore_errors=True)
    sys.exit(main())
