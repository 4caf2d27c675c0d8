"""The run-tests gate's entry module: options, ``run``, and the ``merge`` command.

pytest runs in the project's interpreter with a small plugin of ours
(``inproject/_qualgate_pytest.py``) that measures coverage in every process of the run
(taking over from pytest-cov) and reports each outcome as JSON; coverage.py's JSON report
gives the numbers. See docs/gates/run-tests.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualgate import pyenv
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.fsutil import write_atomic
from qualgate.gates import ExtraCommand
from qualgate.gates.run_tests import cov as cov_mod
from qualgate.gates.run_tests import environment, execute, judge, merge, results, shards, sources
from qualgate.options import Kind, Option
from qualgate.verdict import Verdict

if TYPE_CHECKING:
    from qualgate.cache.inputs import Inputs

DEFAULT_TIMEOUT = 1800.0
PASSTHROUGH = True
# Nothing is judged by the lines changed since --base in the pipeline's sense: a failing
# test always counts, and coverage of the changed lines is its own threshold
# (coverage.changed), computed here.
BASE_SCOPED: frozenset[str] = frozenset()


def _percent(name: str, default: float, text: str) -> Option:
    return Option(
        name=name, kind=Kind.FLOAT, min=0, max=100, default=default, metavar="PCT", help=text
    )


OPTIONS = (
    pyenv.python_option("that runs the tests", cli_only=False),
    _percent("coverage-min", 80.0, "Minimum total coverage in percent (default 80)."),
    _percent(
        "changed-coverage-min",
        80.0,
        "Minimum coverage of the executable lines changed since --base (default 80).",
    ),
    _percent(
        "integration-coverage-min",
        70.0,
        "Minimum line coverage reached by the integration tests alone (default 70).",
    ),
    _percent(
        "file-coverage-min",
        0.0,
        "Files covered less than this are warnings (default 0: off).",
    ),
    Option(
        name="integration-marker",
        default="integration",
        metavar="NAME",
        help="Marker that makes a test an integration test (default integration).",
    ),
    Option(
        name="integration-paths",
        kind=Kind.LIST,
        default=("tests/integration",),
        metavar="DIR",
        help="Folders whose tests are integration tests (default tests/integration).",
    ),
    Option(
        name="rerun-failures",
        kind=Kind.INT,
        min=0,
        default=0,
        metavar="N",
        help="Run a failed test again at once, up to N times; one that then passes is "
        "reported flaky (default 0: off).",
    ),
    Option(
        name="allow-all-skipped",
        kind=Kind.BOOL,
        default=False,
        help="A suite whose every test is skipped here is `skipped` (exit 0), not `fail`.",
    ),
    Option(
        name="shard",
        metavar="K/N",
        default=None,
        validate=shards.parse_shard,
        expects="K/N with 1 <= K <= N (e.g. 2/4)",
        help="Run the K-th of N deterministic slices of the suite; combine with `qualgate merge`.",
    ),
)


def measured_files(verdict: Verdict) -> list[str]:
    """The files coverage measured (keys of run-tests' ``metrics.files``): those outside the
    project are imported by the tests but in no snapshot of the project."""
    files = verdict.metrics.get("files")
    return [str(p) for p in files] if isinstance(files, dict) else []


def INPUTS(ctx: GateContext) -> Inputs:
    """What an answer depends on, for the result cache (`qualgate.cache.inputs`).

    A test may read any file and any variable: everything is an input, and so is every
    module the tests imported from outside the project (coverage data names them).
    ``--shard`` is never answered from the cache.
    """
    from qualgate.cache.inputs import Inputs

    shard = ctx.option("shard")
    return Inputs(
        skip="--shard leaves data for `qualgate merge`" if shard else None,
        reported=measured_files,
    )


def settings_of(ctx: GateContext) -> judge.Settings:
    return judge.Settings(
        coverage_min=float(ctx.option("coverage-min")),
        changed_min=float(ctx.option("changed-coverage-min")),
        integration_min=float(ctx.option("integration-coverage-min")),
        file_min=float(ctx.option("file-coverage-min")),
        base=ctx.base,
        shard=shards.shard_of(ctx.option("shard")),
        allow_all_skipped=bool(ctx.option("allow-all-skipped")),
    )


def run(ctx: GateContext) -> Verdict:
    """Run the suite once (or one shard of it) and judge the outcome."""
    interpreter = ctx.interpreter()
    environment.preflight(interpreter)
    python = interpreter.path
    settings = settings_of(ctx)
    shard = settings.shard
    # Resolve --base before spending minutes on the suite: a bad ref is an early error.
    changed_lines = ctx.changed_lines() if shard is None else None
    env = {
        "QUALGATE_RT_MARKER": str(ctx.option("integration-marker") or ""),
        "QUALGATE_RT_PATHS": "\n".join(ctx.option("integration-paths") or ()),
        "QUALGATE_RT_SHARD": str(shard) if shard else "",
        "QUALGATE_RT_DURATIONS": str(ctx.root / shards.DURATIONS_FILE) if shard else "",
        "QUALGATE_RT_RERUNS": str(int(ctx.option("rerun-failures") or 0)),
    }
    detected = [_absolute(ctx.root, s) for s in sources.detect(ctx.root)]
    out_dir = ctx.root / shards.COVERAGE_DIR
    data_file = out_dir / f"{shard.label if shard else ctx.gate}.coverage"
    workdir = _workdir(ctx.root)
    out = workdir / "coverage.json"
    try:
        with contextlib.suppress(OSError):  # else the helper process combines (below)
            out_dir.mkdir(parents=True, exist_ok=True)
        ctx.progress("running pytest under coverage")
        done = execute.run_pytest(
            python=python,
            root=ctx.root,
            workdir=workdir,
            extra_args=ctx.extra_args,
            env=env,
            timeout=ctx.remaining(),
            relpath=ctx.relpath,
            detected=detected,
            report={"data_file": str(data_file), "out": str(out)},
        )
        res = done.results
        environment.check(res, interpreter, ctx.root)
        report = None
        coverage_ms = 0
        rcfile, include = _report_scope(res.measured)
        if res.ran > 0:
            t0 = time.monotonic()
            report = _coverage_report(ctx, res, workdir, data_file, out, rcfile, include)
            coverage_ms = int((time.monotonic() - t0) * 1000) + res.report_ms
        changed = None
        if report is not None and changed_lines is not None:
            changed = cov_mod.changed_coverage(report, changed_lines.lines, changed_lines.whole)
        extra: dict[str, Any] = {}
        if shard is not None:
            extra["shard"] = _save_shard(ctx, shard, done, report, settings)
            extra["shard"]["coverage_rcfile"] = rcfile
            extra["shard"]["coverage_include"] = list(include)
        elif res.durations:
            # Balancing data only: a read-only checkout must not fail the gate.
            with contextlib.suppress(OSError):
                shards.write_durations(ctx.root, res.durations, replace=not ctx.extra_args)
        inputs = judge.Inputs(
            results=res,
            coverage=report,
            changed=changed,
            command=done.argv,
            pytest_ms=max(0, done.duration_ms - res.report_ms),
            coverage_ms=coverage_ms,
            extra_metrics=extra,
            measured=_measured(res.measured, ctx),
        )
        return judge.build(inputs, settings)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _absolute(root: Path, name: str) -> str:
    """A detected folder as an absolute path; a module name as it is."""
    return str(root / name) if "/" in name or (root / name).is_dir() else name


def _coverage_report(
    ctx: GateContext,
    res: results.TestResults,
    workdir: Path,
    data_file: Path,
    out: Path,
    rcfile: str | None,
    include: list[str],
) -> cov_mod.CoverageReport:
    """The run's coverage: as the plugin combined and reported it at the end of the run,
    else (pytest never got there) combined and reported by the helper process here."""
    python = ctx.python()
    if Path(f"{out}.status").exists():
        return cov_mod.read_outcome(
            out=out, data_file=data_file, python=python, relpath=ctx.relpath, contexts=False
        )
    fragments = sorted(workdir.glob(".coverage.*"))
    if not (fragments and res.measuring):
        # Thresholds cannot be judged without data: never a pass by omission.
        raise GateError(
            "the tests ran but coverage recorded no data",
            f"check that `{python} -m coverage run -m pytest` writes a data file "
            "(coverage >= 5.5 is needed)",
        )
    ctx.progress("combining coverage data")
    data_file.parent.mkdir(parents=True, exist_ok=True)
    if len(fragments) == 1:
        # One process measured: its data file is the result, no combining needed.
        os.replace(fragments[0], data_file)
        fragments = []
    return cov_mod.combine_and_report(
        python=python,
        root=ctx.root,
        inputs=fragments,
        data_file=data_file,
        out=out,
        contexts=res.contexts and not res.dynamic_context,
        keep=False,
        timeout=ctx.remaining(),
        relpath=ctx.relpath,
        rcfile=rcfile,
        include=include,
    )


def _report_scope(measured: Mapping[str, Any] | None) -> tuple[str | None, list[str]]:
    """The rcfile the run measured with, and the file patterns the report keeps to."""
    if not measured:
        return None, []
    config = measured.get("config_file")
    rcfile = config if isinstance(config, str) else None
    return rcfile, [str(p) for p in measured.get("report_include") or ()]


def _measured(measured: Mapping[str, Any] | None, ctx: GateContext) -> dict[str, Any] | None:
    """What coverage measured, with the project's paths root-relative."""
    if not measured:
        return None
    source = measured.get("source")
    shown = []
    for name in source or ():
        text = str(name)
        shown.append(ctx.relpath(text) if os.path.isabs(text) else text)
    config = measured.get("config_read")
    return {
        "origin": measured.get("origin"),
        "source": shown or None,
        "config_file": ctx.relpath(str(config)) if config else None,
        "pytest_cov": bool(measured.get("pytest_cov")),
    }


def _workdir(root: Path) -> Path:
    """Scratch space for one run: under .qualgate/ (same file system as the kept data file,
    so it can be renamed into place), else the system's temp folder."""
    try:
        parent = root / ".qualgate"
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="tmp-run-tests-", dir=parent))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="qualgate-run-tests-"))


def _save_shard(
    ctx: GateContext,
    shard: shards.Shard,
    done: execute.PytestRun,
    report: cov_mod.CoverageReport | None,
    settings: judge.Settings,
) -> dict[str, Any]:
    """Leave what `qualgate merge` needs beside the shard's coverage data."""
    out_dir = ctx.root / shards.COVERAGE_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    events_path = out_dir / f"{shard.label}.events.jsonl"
    write_atomic(events_path, "".join(json.dumps(e) + "\n" for e in done.events))
    return {
        "index": shard.index,
        "count": shard.count,
        "partition": done.results.partition,
        "events": ctx.relpath(events_path),
        "coverage_data": report.data_file if report is not None else None,
        "command": list(done.argv),
        "options": {
            "coverage-min": settings.coverage_min,
            "changed-coverage-min": settings.changed_min,
            "integration-coverage-min": settings.integration_min,
            "file-coverage-min": settings.file_min,
        },
    }


def _merge(ctx: GateContext, files: tuple[Path, ...]) -> Verdict:
    return merge.merge_shards(ctx, files)


COMMANDS = (
    ExtraCommand(
        name="merge",
        help="Combine run-tests shard verdicts (and their coverage data) into one verdict.",
        metavar="VERDICTS",
        run=_merge,
    ),
)
