"""The commands that are not gates: ``schema`` and ``config``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from qualgate.cli.build import build_gate_command, given_values
from qualgate.gates import GATES
from qualgate.pipeline import gate_specs


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
            try:
                _module, specs = gate_specs(name)
            except ImportError as exc:  # a gate that cannot load still leaves the others
                click.echo(f"qualgate config: the {name} gate cannot load: {exc}", err=True)
                continue
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


@click.command("explain")
@click.argument("rule")
@click.option("--gate", "gate_name", default=None, help="The gate the rule belongs to.")
def explain_command(rule: str, gate_name: str | None) -> int:
    """Explain a rule: its gate, default severity, why it matters, how to fix it (offline)."""
    from qualgate.gates import catalogue_of

    if gate_name is None and ":" in rule and rule.split(":", 1)[0] in GATES:
        gate_name, rule = rule.split(":", 1)
    found = []
    for name in [gate_name] if gate_name else list(GATES):
        if name not in GATES:
            raise click.BadParameter(f"unknown gate {name!r}", param_hint="--gate")
        try:
            cat = catalogue_of(name)
        except ImportError:
            continue
        if cat is not None and rule in cat:
            found.append((name, cat))
    if not found:
        click.echo(
            f"qualgate explain: no gate has a rule {rule!r}; tools' own codes (ruff's F401, "
            "mypy's arg-type) are explained on the tools' pages linked from each finding",
            err=True,
        )
        return 2
    for name, cat in found:
        entry = cat.rules[rule]
        click.echo(f"{entry.id} ({name}, default severity {entry.severity.value})")
        click.echo(f"  {entry.rationale}")
        if entry.fix:
            click.echo(f"  fix: {entry.fix}")
        if not entry.configurable:
            click.echo("  always on: it cannot be turned off")
        click.echo(f"  docs: {cat.help_url(rule)}")
    return 0
