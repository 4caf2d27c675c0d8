"""``qualgate merge``: shard verdicts of run-tests, and their coverage data, into one verdict.

Each shard leaves beside its verdict the raw events of its pytest run and its coverage
data file (``.qualgate/coverage/shard-K-of-N.*``, named in ``metrics.shard``). Merging
re-reads the events and combines the data files with coverage.py in the project's
interpreter, then judges the union with the same code as an unsharded run: the numbers
are those of one run over the whole suite.

The verdict is the gate's judgement only: the run pipeline adds the envelope (tool,
timing, project, reproduce), the fingerprints and the masking, as for any gate run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.run_tests import cov as cov_mod
from qualgate.gates.run_tests import judge, results, shards
from qualgate.gates.run_tests.rules import RULES
from qualgate.verdict import Project, Status, Verdict


def _load(path: Path, gate: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GateError(f"{path}: no such verdict file", "pass the shard verdicts' paths") from None
    except (OSError, ValueError) as exc:
        raise GateError(f"{path}: not a JSON verdict ({exc})") from exc
    if not isinstance(document, dict) or document.get("gate") != gate:
        raise GateError(f"{path}: not a run-tests verdict", "pass verdicts of `run-tests --shard`")
    shard = (document.get("metrics") or {}).get("shard")
    if not isinstance(shard, dict):
        if document.get("status") == Status.ERROR.value:
            raise GateError(f"{path}: that run ended in error: {document.get('summary')}")
        raise GateError(
            f"{path}: not a shard verdict (run with `--shard K/N`)",
            "only verdicts of `qualgate run-tests --shard K/N` can be merged",
        )
    return document


def _locate(name: str | None, verdict_path: Path, root: Path) -> Path | None:
    """A shard file: as recorded (root-relative), else beside the verdict file."""
    if not name:
        return None
    for candidate in (root / name, verdict_path.parent / Path(name).name):
        if candidate.is_file():
            return candidate
    return None


def merge(paths: Sequence[Path], root: Path) -> Verdict:
    """`merge_shards` in a plain context for ``root`` (no options: defaults apply)."""
    return merge_shards(GateContext(gate=RULES.gate, root=root.resolve()), paths)


def merge_shards(ctx: GateContext, paths: Sequence[Path]) -> Verdict:
    """Combine shard verdicts into one unfinalized verdict.

    Raises `GateError` for input that cannot be merged. The shards' ``--base`` is the
    merge's: it decides the changed-lines coverage and is handed on in ``project.base``.
    """
    root = ctx.root
    if not paths:
        raise GateError("no shard verdicts given", "qualgate merge VERDICT...")
    docs = [(p, _load(p, ctx.gate)) for p in paths]
    shard_info = [d["metrics"]["shard"] for _, d in docs]
    count = {int(s["count"]) for s in shard_info}
    if len(count) != 1:
        raise GateError(f"shards of different splits: N = {sorted(count)}")
    total = count.pop()
    indices = sorted(int(s["index"]) for s in shard_info)
    if indices != list(range(1, total + 1)):
        missing = sorted(set(range(1, total + 1)) - set(indices))
        dupes = sorted({i for i in indices if indices.count(i) > 1})
        raise GateError(
            f"need each of shards 1..{total} exactly once"
            + (f"; missing {missing}" if missing else "")
            + (f"; given twice {dupes}" if dupes else ""),
            "pass one verdict per shard",
        )
    partitions = {s.get("partition") for s in shard_info}
    if len(partitions) != 1:
        raise GateError(
            "the shards were cut from different test collections or durations files",
            "run every shard from the same commit with the same .qualgate/durations.json",
        )
    for path, document in docs:
        if document.get("status") == Status.ERROR.value:
            raise GateError(
                f"shard {document['metrics']['shard']['index']}/{total} ({path}) ended in "
                f"error: {document.get('summary')}",
                "rerun that shard",
            )
    bases = {(d.get("project") or {}).get("base") for _, d in docs}
    if len(bases) != 1:
        raise GateError("the shards were run with different --base refs")
    base = bases.pop()
    if ctx.base != base:
        ctx = GateContext(
            gate=ctx.gate,
            root=root,
            options=ctx.options,
            base=base,
            timeout=ctx.timeout,
            debug=ctx.debug,
            started=ctx.started,
            config_file=ctx.config_file,
        )
    events: list[Mapping[str, Any]] = []
    data_files: list[Path] = []
    per_shard: list[results.TestResults] = []
    pytest_ms = 0
    for (path, document), info in zip(docs, shard_info, strict=True):
        events_path = _locate(info.get("events"), path, root)
        if events_path is None:
            raise GateError(
                f"{path}: its test events file {info.get('events')} is missing",
                "upload .qualgate/coverage/ with each shard's verdict",
            )
        shard_events = results.read_events(events_path)
        events += shard_events
        per_shard.append(results.parse(shard_events, ctx.relpath))
        data = _locate(info.get("coverage_data"), path, root)
        if info.get("coverage_data") and data is None:
            raise GateError(
                f"{path}: its coverage data {info.get('coverage_data')} is missing",
                "upload .qualgate/coverage/ with each shard's verdict",
            )
        if data is not None:
            data_files.append(data)
        checks = document.get("checks", ())
        pytest_ms += sum(int(c.get("duration_ms", 0)) for c in checks if c["name"] == "pytest")
    seen: dict[str, int] = {}
    for index, shard_results in zip(indices, per_shard, strict=True):
        for nodeid in shard_results.nodeids:
            if nodeid in seen:
                raise GateError(
                    f"test {nodeid} ran in more than one shard",
                    "run every shard from the same commit with the same durations file",
                )
            seen[nodeid] = index
    merged = results.parse(events, ctx.relpath)
    merged = dataclasses.replace(
        merged,
        # Each shard collected only its own files: the suite is the sum of the slices.
        collected_total=sum(r.collected_total or 0 for r in per_shard),
        selected=sum(r.selected or 0 for r in per_shard),
        deselected=sum(r.deselected for r in per_shard),
        other_shard_files=0,
        integration_selected=sum(r.integration_selected for r in per_shard),
        contexts=any(r.contexts for r in per_shard),
        stopped_early=any(r.stopped_early for r in per_shard),
    )
    options = shard_info[0].get("options") or {}
    settings = judge.Settings(
        coverage_min=float(options.get("coverage-min", 80.0)),
        changed_min=float(options.get("changed-coverage-min", 80.0)),
        integration_min=float(options.get("integration-coverage-min", 70.0)),
        file_min=float(options.get("file-coverage-min", 0.0)),
        base=base,
    )
    report = None
    coverage_ms = 0
    if data_files:
        python = ctx.python()
        out_dir = root / shards.COVERAGE_DIR
        out_dir.mkdir(parents=True, exist_ok=True)
        t1 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="qualgate-merge-") as tmp:
            report = cov_mod.combine_and_report(
                python=python,
                root=root,
                inputs=data_files,
                data_file=out_dir / "merged.coverage",
                out=Path(tmp) / "coverage.json",
                contexts=merged.contexts and not merged.dynamic_context,
                keep=True,
                timeout=ctx.remaining(),
                relpath=ctx.relpath,
                rcfile=shard_info[0].get("coverage_rcfile"),
                include=shard_info[0].get("coverage_include") or (),
            )
        coverage_ms = int((time.monotonic() - t1) * 1000)
    changed = None
    changed_lines = ctx.changed_lines()
    if report is not None and changed_lines is not None:
        changed = cov_mod.changed_coverage(report, changed_lines.lines, changed_lines.whole)
    if merged.durations:
        with contextlib.suppress(OSError):
            shards.write_durations(root, merged.durations, replace=False)
    verdict = judge.build(
        judge.Inputs(
            results=merged,
            coverage=report,
            changed=changed,
            command=tuple(shard_info[0].get("command") or ()),
            pytest_ms=pytest_ms,
            coverage_ms=coverage_ms,
            extra_metrics={"shards": total},
        ),
        settings,
    )
    return verdict.replace(project=Project(base=base))
