"""The agent commands: ``hook``, ``init`` and ``mcp``. Parsing only; the work is in
`qualgate.agents`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from qualgate.agents.hook import AGENTS, MAX_PAYLOAD
from qualgate.agents.profile import OPTIONS as HOOK_OPTIONS
from qualgate.cli.build import given_values


@click.command("hook")
@click.argument("agent", type=click.Choice(AGENTS))
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    help="Project root (default: found from the payload's cwd).",
)
@click.option(
    "--event",
    metavar="NAME",
    help="The hook event, for agents whose payload does not name it (Copilot's agentStop).",
)
@click.option("--max-blocks", type=int, help="Blocks in a row on the same findings (default 3).")
@click.option("--gates", multiple=True, help="The stop profile's gates (default: what changed).")
@click.option("--timeout", type=float, help="Seconds for the stop profile (default 540).")
@click.option("--post-tool/--no-post-tool", default=None, help="Run integrity after tool uses.")
@click.pass_context
def hook_command(
    ctx: click.Context, /, agent: str, root: str | None, event: str | None, **_: Any
) -> int:
    """Gate an AI agent's turn: read the hook payload on stdin, answer in the agent's JSON.

    Always exits 0 (the answer is in the JSON); the reason is also on stderr.
    """
    from qualgate.agents.hook import Result, run_hook

    stdin = sys.stdin.read(MAX_PAYLOAD + 1)
    if len(stdin) > MAX_PAYLOAD:
        click.echo(
            f"qualgate hook {agent}: the payload is larger than {MAX_PAYLOAD} bytes", err=True
        )
        return 0
    try:
        result = run_hook(
            agent,
            stdin,
            given=given_values(ctx, HOOK_OPTIONS),
            root=Path(root).resolve() if root else None,
            event_name=event,
        )
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001 - a hook never breaks the agent's turn
        result = Result(
            stderr=f"qualgate hook {agent}: internal error: {type(exc).__name__}: {exc}\n"
        )
    if result.stdout:
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
    if result.stderr:
        sys.stderr.write(result.stderr)
    return 0


@click.command("init")
@click.argument("path", required=False, default=".", type=click.Path(file_okay=False))
@click.option(
    "--agent",
    "agents",
    multiple=True,
    metavar="NAME[,NAME]",
    help=f"Write hook configuration for these agents ({', '.join(AGENTS)}).",
)
@click.option("--force", is_flag=True, help="Replace files qualgate wrote before, even if edited.")
def init_command(path: str, agents: tuple[str, ...], force: bool) -> int:
    """Set a project up: wrappers, [tool.qualgate.all], agent hooks, AGENTS.md, CI workflow."""
    from qualgate.agents.setup import init_project
    from qualgate.errors import GateError

    names = [a.strip() for item in agents for a in item.split(",") if a.strip()]
    root = Path(path).resolve()
    try:
        report = init_project(root, names, force=force)
    except GateError as exc:
        click.echo(f"qualgate init: {exc.reason}", err=True)
        if exc.hint:
            click.echo(f"  hint: {exc.hint}", err=True)
        return 2
    click.echo(f"gates: {', '.join(report.gates) or 'none detected'}")
    for line in report.lines():
        click.echo(line)
    return 0


@click.command("mcp")
@click.argument("path", required=False, default=".", type=click.Path(file_okay=False))
def mcp_command(path: str) -> int:
    """Serve every gate (and all) as an MCP tool over stdio."""
    try:
        from qualgate.agents.mcp_server import serve
    except ImportError as exc:
        click.echo(
            f"qualgate mcp needs the MCP SDK ({exc.name} is missing): pip install 'qualgate[mcp]'",
            err=True,
        )
        return 2
    serve(Path(path).resolve())
    return 0
