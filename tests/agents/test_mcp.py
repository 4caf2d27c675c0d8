"""`qualgate mcp`: the round trip with the MCP SDK's own client over stdio."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from qualgate.gates import GATES
from qualgate.verdict import load_schema
from tests.agents.helpers import add_skip, demo_project
from tests.support import assert_valid_verdict

mcp = pytest.importorskip("mcp", reason="the MCP SDK is the optional extra qualgate[mcp]")
anyio = pytest.importorskip("anyio")

T = TypeVar("T")


def with_session(project: Path, work: Callable[[Any], Awaitable[T]]) -> T:
    """Start `qualgate mcp PROJECT` as a subprocess and run ``work(session)`` against it."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    server = StdioServerParameters(
        command=sys.executable, args=["-m", "qualgate", "mcp", str(project)], cwd=str(project)
    )

    async def main() -> T:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await work(session)

    result: T = anyio.run(main)
    return result


def _widening_option() -> tuple[str, str]:
    """A gate option that widens what the gate may reach (``cli_only``)."""
    from qualgate.pipeline import gate_specs

    return next(
        (gate, option.name)
        for gate in ("dependency-scan", "lint-format", "openapi-lint")
        for option in gate_specs(gate)[1]
        if option.cli_only
    )


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One server session for the module: listing, calls and refused calls."""
    project = demo_project(tmp_path_factory.mktemp("mcp"))
    add_skip(project)
    gate, option = _widening_option()
    allow = [{"rule": "new-skip-mark", "path": "tests/*", "reason": "flaky upstream"}]

    async def work(session: Any) -> dict[str, Any]:
        return {
            "listed": await session.list_tools(),
            "failing": await session.call_tool("integrity", {}),
            "allowed": await session.call_tool("integrity", {"options": {"allow": allow}}),
            "combined": await session.call_tool("all", {"options": {"gates": ["integrity"]}}),
            "widening": await session.call_tool(gate, {"options": {option: "x"}}),
            "verdict-dir": await session.call_tool(
                "integrity", {"options": {"verdict-dir": "/tmp"}}
            ),
            "unknown-option": await session.call_tool(
                "integrity", {"options": {"no-such-option": 1}}
            ),
            "option-as-base": await session.call_tool("integrity", {"base": "--output=/x"}),
        }

    return with_session(project, work)


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def test_one_tool_per_gate_with_the_verdict_schema_as_output(answers: dict[str, Any]) -> None:
    tools = {tool.name: tool for tool in answers["listed"].tools}
    assert set(tools) == set(GATES)
    assert {"integrity", "all"} <= set(tools)
    schema = load_schema()
    for tool in tools.values():
        assert tool.output_schema == schema
        assert set(tool.input_schema["properties"]) == {"base", "options"}


def test_a_gate_answers_structured_verdict_and_compact_text(answers: dict[str, Any]) -> None:
    failing, allowed, combined = answers["failing"], answers["allowed"], answers["combined"]
    assert not failing.is_error
    assert_valid_verdict(failing.structured_content)
    assert failing.structured_content["status"] == "fail"
    assert text_of(failing).startswith("qualgate integrity: FAIL")
    assert "tests/test_demo.py:6 new-skip-mark" in text_of(failing)
    assert allowed.structured_content["status"] == "pass"
    assert "flaky upstream" in allowed.structured_content["findings"][0]["message"]
    assert combined.structured_content["gate"] == "all"
    assert combined.structured_content["status"] == "fail"


@pytest.mark.parametrize("call", ["widening", "verdict-dir", "unknown-option", "option-as-base"])
def test_calls_that_widen_reach_or_are_wrong_are_refused(
    answers: dict[str, Any], call: str
) -> None:
    result = answers[call]
    assert result.is_error
    assert_valid_verdict(result.structured_content)
    assert result.structured_content["status"] == "error"
    if call in ("widening", "verdict-dir"):
        assert "cannot be set through MCP" in result.structured_content["summary"]
