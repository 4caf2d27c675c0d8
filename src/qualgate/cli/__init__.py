"""The thin click layer: parse the command line, call the run pipeline, exit with its code.

Gate commands are built from the gate registry and each gate's option specs (see
`qualgate.cli.build`), and only the invoked gate's module is imported, so
``qualgate --version`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from qualgate import __version__
from qualgate.gates import GATES

# Commands that are not gates: name -> (module:attribute of the click command, help).
# Each lives in its own module under qualgate.cli, imported only when it is invoked.
_OTHER_COMMANDS: dict[str, tuple[str, str]] = {
    "config": (
        "qualgate.cli.other:config_command",
        "Show the effective configuration of each gate and where each value comes from.",
    ),
    "schema": ("qualgate.cli.other:schema_command", "Print the verdict JSON Schema."),
    "explain": (
        "qualgate.cli.other:explain_command",
        "Explain a rule: what it means, how to fix it.",
    ),
    "baseline": (
        "qualgate.cli.baseline:baseline_command",
        "Record today's findings as the baseline, or check it only shrinks.",
    ),
    "hook": (
        "qualgate.cli.agents:hook_command",
        "Gate an AI agent's turn (Claude Code, Codex, Cursor, Copilot hooks).",
    ),
    "init": (
        "qualgate.cli.agents:init_command",
        "Set qualgate up in a project: wrappers, config, agent hooks, CI workflow.",
    ),
    "mcp": ("qualgate.cli.agents:mcp_command", "Serve every gate as an MCP tool over stdio."),
}


def _extra_help() -> dict[str, str]:
    return {name: text for info in GATES.values() for name, text in info.commands.items()}


class QualgateGroup(click.Group):
    """Lazily built commands, and one handling of usage errors and Ctrl-C."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*GATES, *_OTHER_COMMANDS, *_extra_help()]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from qualgate.cli import build

        if cmd_name in GATES:
            try:
                return build.build_gate_command(cmd_name)
            except Exception as exc:  # noqa: BLE001 - a gate that cannot load still answers
                return build.unavailable_gate_command(cmd_name, exc)
        if cmd_name in _OTHER_COMMANDS:
            import importlib

            module, _, attr = _OTHER_COMMANDS[cmd_name][0].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return build.extra_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, g.help) for n, g in GATES.items()]
        rows += [(n, text) for n, (_, text) in _OTHER_COMMANDS.items()]
        rows += list(_extra_help().items())
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        argv = list(sys.argv[1:] if args is None else args)
        extra.pop("standalone_mode", None)
        extra.setdefault("auto_envvar_prefix", "QUALGATE")
        try:
            code = super().main(
                args=argv, prog_name=prog_name or "qualgate", standalone_mode=False, **extra
            )
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("qualgate: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            _usage_error_verdict(argv, exc.format_message())
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


def _usage_error_verdict(argv: Sequence[str], message: str) -> None:
    """With --format json, stdout still holds one (error) verdict after a usage error."""
    wants_json = any(
        a == "--format=json" or (a == "--format" and i + 1 < len(argv) and argv[i + 1] == "json")
        for i, a in enumerate(argv)
    )
    if not wants_json:
        return
    from qualgate.pipeline import usage_error
    from qualgate.verdict import to_json

    known = {*GATES, *_OTHER_COMMANDS, *_extra_help()}
    gate = next((a for a in argv if a in known), "qualgate")
    click.echo(to_json(usage_error(gate, message, argv)), nl=False)


@click.group(cls=QualgateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="qualgate")
def cli() -> None:
    """Quality gates for Python backend projects.

    Each gate answers with a verdict (pass/fail/error) and an exit code: 0 pass,
    1 fail, 2 error. Use --format json for one machine-readable verdict on stdout.
    """


def main() -> None:
    """Console-script entry point."""
    cli.main()
