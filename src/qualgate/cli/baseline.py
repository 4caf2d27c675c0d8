"""``qualgate baseline write|check``: record today's findings, or prove the record only shrinks.

Both run the configured gates as ``qualgate all`` does (cached answers, in parallel, each
gate's own configuration) and answer with a verdict like a gate: ``--format``, exit codes
0 pass, 1 fail, 2 error. The baseline file is ``.qualgate/baseline.json`` unless the
project's config says ``baseline = "..."`` under ``[tool.qualgate]``. See docs/cache.md.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from qualgate import baseline as baselines
from qualgate import composite, pipeline
from qualgate.cli.build import FORMATS, parse_reports
from qualgate.config import Source, baseline_path, load_config
from qualgate.context import GateContext
from qualgate.fsutil import escapes_root, write_atomic
from qualgate.gates import GATES
from qualgate.verdict import Check, Finding, Severity, Status, Verdict, plural

HELP_URL = "https://github.com/qualgate/qualgate/blob/main/docs/cache.md#the-baseline"


def _common(function: Any) -> Any:
    for decorator in reversed(
        [
            click.argument("path", required=False, default=".", type=click.Path(file_okay=False)),
            click.option("--gates", multiple=True, metavar="GATE", help="Only these gates."),
            click.option("--config", "config_file", type=click.Path(dir_okay=False)),
            click.option("--format", "fmt", type=click.Choice(FORMATS), default="text"),
            click.option("--report", multiple=True, metavar="FMT:PATH"),
            click.option("--cache/--no-cache", default=True, help="Use the result cache."),
            click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
        ]
    ):
        function = decorator(function)
    return function


@click.group("baseline")
def baseline_command() -> None:
    """Record today's findings as the baseline, or check it only shrinks.

    Baselined findings are reported as existing and decide nothing; any other finding
    fails its gate, wherever it is.
    """


@baseline_command.command("write")
@_common
def write_command(**kwargs: Any) -> int:
    """Run the gates and record the fingerprints of their error findings."""
    return _invoke("write", kwargs, _write)


@baseline_command.command("check")
@_common
def check_command(**kwargs: Any) -> int:
    """Fail when the baseline holds findings that no longer occur (rewrite it then)."""
    return _invoke("check", kwargs, _check)


def _invoke(
    action: str, kwargs: dict[str, Any], work: Callable[[GateContext, Path], Verdict]
) -> int:
    root = Path(kwargs["path"]).resolve()
    config_file = Path(kwargs["config_file"]) if kwargs["config_file"] else None
    given: dict[str, tuple[Any, str]] = {}
    if kwargs["gates"]:
        given["gates"] = (kwargs["gates"], Source.COMMAND_LINE)
    if not kwargs["cache"]:
        given["cache"] = (False, Source.COMMAND_LINE)
    words = ["qualgate", "baseline", action]
    if kwargs["path"] != ".":
        words.append(kwargs["path"])
    request = pipeline.Request(
        gate="all",
        root=root,
        shown_root=kwargs["path"],
        config_file=config_file,
        given=given,
        debug=bool(kwargs["debug"]),
        reproduce=shlex.join(words),
    )

    def run(ctx: GateContext) -> Verdict:
        path = baseline_path(load_config(root, config_file, GATES), root)
        return work(ctx, path)

    outcome = pipeline.execute(request, run)
    code = pipeline.publish(
        outcome.verdict,
        kwargs["fmt"],
        parse_reports(kwargs["report"]),
        outcome.verdict_dir,
        root,
        out=sys.stdout,
        err=sys.stderr,
    )
    if outcome.signal_code is not None:
        raise click.exceptions.Exit(outcome.signal_code)
    return code


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _relative(entry: Mapping[str, Any]) -> str | None:
    """The recorded path, when it is one a verdict may show (the file is the repo's)."""
    path = entry.get("path")
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path:
        return None
    return None if path[1:2] == ":" else path


def _gate_checks(verdicts: Sequence[Verdict], per_gate: dict[str, int]) -> tuple[Check, ...]:
    return tuple(
        Check(
            name=v.gate,
            status=Status.ERROR if v.status is Status.ERROR else Status.PASS,
            duration_ms=v.duration_ms,
            findings=per_gate.get(v.gate, 0),
            summary=v.summary,
        )
        for v in verdicts
    )


def _write(ctx: GateContext, path: Path) -> Verdict:
    previous = baselines.load(path)
    ran = composite.run_gates(ctx)
    recorded = baselines.record(ran.verdicts, previous)
    if escapes_root(path, ctx.root):
        raise OSError(f"{path} leads outside the project through a symbolic link; not written")
    write_atomic(path, baselines.dumps(recorded))
    errored = [v.gate for v in ran.verdicts if v.status is Status.ERROR]
    counts = {g: len(e) for g, e in recorded.gates.items()}
    dropped = 0
    if previous is not None:
        dropped = sum(
            1
            for v in ran.verdicts
            if v.status is not Status.ERROR
            for fp in previous.of(v.gate)
            if fp not in recorded.of(v.gate)
        )
    summary = (
        f"{_shown(path, ctx.root)}: {plural(recorded.count(), 'finding')} recorded "
        f"in {plural(len(counts), 'gate')}"
    )
    if dropped:
        summary += f"; {plural(dropped, 'fixed finding')} dropped out"
    steps = [f"commit {_shown(path, ctx.root)}: later runs fail only on findings not in it"]
    if errored:
        summary += f"; {', '.join(errored)} errored: their previous entries are kept"
        steps.insert(0, f"fix what keeps {', '.join(errored)} from answering, then write again")
    checks = _gate_checks(ran.verdicts, counts)
    return Verdict(
        gate="baseline",
        status=Status.ERROR if errored else Status.PASS,
        summary=summary,
        checks=checks,
        metrics={"file": _shown(path, ctx.root), "recorded": counts, "dropped": dropped},
        next_steps=tuple(steps),
    )


def _check(ctx: GateContext, path: Path) -> Verdict:
    known = baselines.load(path)
    shown = _shown(path, ctx.root)
    if known is None:
        return Verdict(
            gate="baseline",
            status=Status.ERROR,
            summary=f"no baseline at {shown}",
            next_steps=("record one with `qualgate baseline write`",),
        )
    ran = composite.run_gates(ctx)
    gone = baselines.stale(known, ran.verdicts)
    findings = tuple(
        Finding(
            rule="baseline-stale",
            severity=Severity.ERROR,
            message=(
                f"{s.gate} {s.entry.get('rule', '?')} no longer occurs "
                f"({str(s.entry.get('message', ''))[:120]}): the baseline must shrink"
            ),
            path=_relative(s.entry),
            check=s.gate,
            help=HELP_URL,
            data={"fingerprint": s.fingerprint},
        )
        for s in gone
    )
    errored = [v.gate for v in ran.verdicts if v.status is Status.ERROR]
    new = sum(1 for v in ran.verdicts for f in v.findings if f.blocking)
    per_gate: dict[str, int] = {}
    for s in gone:
        per_gate[s.gate] = per_gate.get(s.gate, 0) + 1
    checks = tuple(
        Check(
            name=c.name,
            status=Status.FAIL if per_gate.get(c.name) else c.status,
            duration_ms=c.duration_ms,
            findings=c.findings,
            summary=c.summary,
        )
        for c in _gate_checks(ran.verdicts, per_gate)
    )
    steps = []
    if gone:
        steps.append(f"run `qualgate baseline write` and commit {shown}: it drops what was fixed")
    if errored:
        steps.insert(0, f"fix what keeps {', '.join(errored)} from answering")
    if gone:
        summary = f"{plural(len(gone), 'baselined finding')} no longer occur"
        summary += "s" if len(gone) == 1 else ""
    else:
        summary = f"the {plural(known.count(), 'baselined finding')} still occur"
        summary += "s" if known.count() == 1 else ""
    if new:
        summary += f"; {plural(new, 'finding')} beyond the baseline (its gate fails on it)"
    if errored:
        summary += f"; not checked: {', '.join(errored)} errored"
    status = Status.FAIL if gone else Status.ERROR if errored else Status.PASS
    return Verdict(
        gate="baseline",
        status=status,
        summary=summary,
        checks=checks,
        findings=findings,
        metrics={"file": shown, "baselined": known.count(), "stale": len(gone), "new": new},
        next_steps=tuple(steps),
    )
