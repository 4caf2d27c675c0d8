"""``qualgate mcp``: every gate, and ``all``, as a tool of an MCP server over stdio.

Built on the official ``mcp`` Python SDK (``pip install 'qualgate[mcp]'``). Each tool
declares the verdict JSON Schema as its output schema and answers with the verdict as
structured content plus the compact agent rendering as text.

The server serves one project (the PATH it was started with). A tool call runs the gate
as a ``qualgate`` subprocess: a gate's tools can never write into the protocol stream, and
a crash or a timeout is one error verdict, not a dead server. The caller is a model, so
it is trusted like the repository's own config, not like the command line: options that
widen what a gate may reach (``cli_only``) and paths outside the project are refused.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from qualgate import __version__, pipeline, process
from qualgate.errors import GateError
from qualgate.gates import GATES
from qualgate.options import Kind, Option
from qualgate.render import render
from qualgate.verdict import Tool, from_dict, load_schema, to_dict, validate_document

# Options a tool call may not set, whatever their spec says: where verdicts are written.
_REFUSED = frozenset({"verdict-dir"})
_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "base": {
            "type": "string",
            "description": "Judge only what changed since this git ref (branch, tag, commit).",
        },
        "options": {
            "type": "object",
            "description": "Gate options by their long name, as in [tool.qualgate.<gate>] "
            '(e.g. {"coverage-min": 80}).',
        },
    },
}


def tools() -> list[types.Tool]:
    schema = load_schema()
    return [
        types.Tool(
            name=name,
            description=f"{info.help} Returns a qualgate verdict (pass/fail/error).",
            input_schema=_INPUT_SCHEMA,
            output_schema=schema,
        )
        for name, info in GATES.items()
    ]


def _flags(gate: str, options: Mapping[str, Any], root: Path) -> list[str]:
    """Command-line flags for ``options``; raises GateError for one a model may not set."""
    _module, specs = pipeline.gate_specs(gate)
    by_name: dict[str, Option] = {s.name: s for s in specs if s.action is None}
    words: list[str] = []
    for name, value in options.items():
        spec = by_name.get(name)
        if spec is None:
            raise GateError(f"{gate} has no option {name!r}", f"options: {', '.join(by_name)}")
        if spec.cli_only or name in _REFUSED:
            raise GateError(
                f"option {name!r} cannot be set through MCP: it widens what the gate may reach",
                "set it on the command line of the server, or in the environment",
            )
        if spec.kind is Kind.PATH and not (root / str(value)).resolve().is_relative_to(root):
            raise GateError(f"option {name!r} names a path outside the project")
        if spec.kind is Kind.BOOL:
            words.append(f"--{name}" if value else f"--no-{name}")
        elif spec.kind is Kind.LIST and isinstance(value, (list, tuple)):
            for item in value:
                words += [f"--{name}", str(item)]
        elif spec.kind is Kind.JSON:
            words += [f"--{name}", json.dumps(value)]
        elif spec.kind is Kind.PATH:
            words += [f"--{name}", str((root / str(value)).resolve())]
        else:
            words += [f"--{name}", str(value)]
    return words


def _error_document(gate: str, reason: str, hint: str | None = None) -> dict[str, Any]:
    verdict = pipeline.error_verdict(gate, reason, hint).replace(
        started_at=pipeline.utc_now(), tool=Tool(version=__version__)
    )
    return to_dict(verdict)


def run_tool(root: Path, gate: str, arguments: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The verdict document of one tool call, and whether the call itself was wrong."""
    if gate not in GATES:
        return _error_document("qualgate", f"unknown tool {gate!r}"), True
    base = arguments.get("base")
    options = arguments.get("options") or {}
    if (base is not None and not isinstance(base, str)) or not isinstance(options, dict):
        return _error_document(gate, "arguments: base is a string, options an object"), True
    try:
        argv = [sys.executable, "-m", "qualgate", gate, str(root), "--format", "json"]
        argv += _flags(gate, options, root)
        if base:
            if base.startswith("-"):
                raise GateError(f"base {base!r} is not a git ref")
            argv += ["--base", base]
        done = process.run(argv, cwd=root, timeout=_timeout(options) + 60)
    except GateError as exc:
        return _error_document(gate, exc.reason, exc.hint), True
    try:
        document = json.loads(done.stdout)
    except ValueError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return _error_document(gate, f"the gate answered no verdict: {last}"), False
    if not isinstance(document, dict) or validate_document(document):
        return _error_document(gate, "the gate answered an invalid verdict"), False
    return document, False


def _timeout(options: Mapping[str, Any]) -> float:
    value = options.get("timeout")
    return float(value) if isinstance(value, (int, float)) and value > 0 else 3600.0


def result_of(document: dict[str, Any], wrong: bool) -> types.CallToolResult:
    text = render("agent", from_dict(document))
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=document,
        is_error=wrong,
    )


def build_server(root: Path) -> Server[Any]:
    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools())

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments: dict[str, Any] = dict(params.arguments or {})
        document, wrong = await anyio.to_thread.run_sync(run_tool, root, params.name, arguments)
        return result_of(document, wrong)

    return Server(
        "qualgate",
        version=__version__,
        instructions="Quality gates for this project: call a gate (or `all`) before saying "
        "done; status pass means done, fail lists what to fix, error says what to set up.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve(root: Path) -> None:
    server = build_server(root)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)


def gate_names() -> Sequence[str]:
    return tuple(GATES)
