"""The commands that are not gates: ``schema``, ``config`` and ``merge``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from qualgate.cli import (
    FORMATS,
    build_gate_command,
    finish,
    gate_specs,
    given_values,
    parse_reports,
)
from qualgate.gates import GATES


@click.command("schema")
def schema_command() -> None:
    """Print the verdict JSON Schema."""
    from qualgate.verdict import schema_path

    click.echo(schema_path().read_text(encoding="utf-8"), nl=False)


@click.command("config")
@click.argument("path", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--gate", "gate_names", multiple=True, help="Only this gate (repeatable).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def config_command(
    ctx: click.Context, path: str, gate_names: tuple[str, ...], config_file: str | None, fmt: str
) -> int:
    """Show the effective configuration and where each value comes from."""
    from qualgate.config import load_config, resolve
    from qualgate.errors import ConfigError

    root = Path(path).resolve()
    unknown = [g for g in gate_names if g not in GATES]
    if unknown:
        raise click.BadParameter(
            f"unknown gate {unknown[0]!r}; gates: {', '.join(GATES)}", param_hint="--gate"
        )
    try:
        config = load_config(root, Path(config_file) if config_file else None, GATES)
        report: dict[str, dict[str, dict[str, Any]]] = {}
        for name in gate_names or tuple(GATES):
            _module, specs = gate_specs(name)
            command = build_gate_command(name)
            sub = command.make_context(name, [str(root)], parent=ctx.find_root())
            resolved = resolve(name, specs, given_values(sub, specs), config, root)
            actions = {s.name for s in specs if s.action is not None}
            report[name] = {
                key: {"value": _plain(r.value), "source": r.source}
                for key, r in resolved.items()
                if key not in actions
            }
    except ConfigError as exc:
        click.echo(f"qualgate config: {exc.reason}", err=True)
        if exc.hint:
            click.echo(f"  hint: {exc.hint}", err=True)
        return 2
    if fmt == "json":
        file_name = str(config.path) if config.path else None
        click.echo(json.dumps({"config_file": file_name, "gates": report}, indent=2))
        return 0
    click.echo(f"# config file: {config.path or '(none: defaults)'}")
    for name, values in report.items():
        click.echo(f"\n[{config.prefix or 'tool.qualgate.'}{name}]")
        for key, item in values.items():
            click.echo(f"{key} = {json.dumps(item['value'])}  # {item['source']}")
    return 0


def _plain(value: Any) -> Any:
    from qualgate.redact import mask

    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@click.command("merge")
@click.argument("verdicts", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--root", default=".", type=click.Path(file_okay=False), help="Project root.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
@click.option("--report", multiple=True, metavar="FMT:PATH", help="Also write a rendering.")
@click.option("--verdict-dir", type=click.Path(file_okay=False), default=None)
def merge_command(
    verdicts: tuple[str, ...], root: str, fmt: str, report: tuple[str, ...], verdict_dir: str | None
) -> int:
    """Combine run-tests shard verdicts (and their coverage data) into one verdict."""
    import importlib

    from qualgate.errors import GateError
    from qualgate.runner import error_verdict, utc_now

    root_path = Path(root).resolve()
    reports = parse_reports(report)
    try:
        merge = importlib.import_module("qualgate.gates.run_tests.merge")
        verdict = merge.merge([Path(v) for v in verdicts], root_path)
    except GateError as exc:
        verdict = error_verdict("run-tests", exc.reason, exc.hint).replace(started_at=utc_now())
    except Exception as exc:  # noqa: BLE001 - the same error boundary as a gate run
        verdict = error_verdict(
            "run-tests",
            f"internal error: {type(exc).__name__}: {exc}",
            "report it with the shard verdicts that caused it",
        ).replace(started_at=utc_now())
    target = Path(verdict_dir) if verdict_dir else root_path / ".qualgate" / "verdicts"
    return finish(verdict, fmt, reports, target)
