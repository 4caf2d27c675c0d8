"""Finding ruff and mypy, and the shared shape of one check's outcome.

ruff is looked up with ``--ruff``, then in the project's environment (one `env` trusts),
then next to the interpreter running qualgate, then on ``PATH``. mypy must see the
project's installed packages, so it runs as ``<project python> -m mypy`` when the
project's interpreter has mypy, else as our mypy with ``--python-executable <python>``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import sysconfig
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualgate import process
from qualgate.errors import GateError, ToolMissing
from qualgate.verdict import Check, Finding, Status

from .env import Environment, ToolCommand, path_tool, python_tool

# mypy's JSON output (`--output json`) appeared in mypy 1.11; older ones are read as text.
MYPY_MIN = (1, 11)
MYPY_TEXT_MIN = (0, 800)

Relpath = Callable[[str], str]


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """What one check produced: its `Check` entry and findings, and why it errored."""

    check: Check
    findings: tuple[Finding, ...] = ()
    # For a check that errored: what went wrong, and what to do about it.
    reason: str | None = None
    hint: str | None = None


def find_ruff(root: Path, explicit: Path | None, env: Environment) -> ToolCommand:
    """The ruff to run: ``--ruff``; the project's environment's; the one beside qualgate;
    ``PATH`` (never one the repository ships: see `env`)."""
    hint = f"install ruff: {env.install_hint('ruff')}"
    if explicit is not None:
        if explicit.is_file() and os.access(explicit, os.X_OK):
            return _ruff_command(str(explicit), root, "given")
        raise ToolMissing(f"ruff is not installed: {explicit} does not exist", hint)
    if env.own:
        beside = Path(env.python).parent / "ruff"
        if beside.is_file() and os.access(beside, os.X_OK):
            return _ruff_command(str(beside), root, "project")
    for candidate in (
        Path(sys.executable).parent / "ruff",
        Path(sysconfig.get_path("scripts")) / "ruff",
    ):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return _ruff_command(str(candidate), root, "qualgate")
    ours = _ruff_package_binary()
    if ours:
        return _ruff_command(ours, root, "qualgate")
    on_path = path_tool(root, "ruff")
    if on_path:
        return _ruff_command(on_path, root, "path")
    raise ToolMissing(
        "ruff is not installed (not in the project's environment, beside qualgate, nor on PATH)",
        hint,
    )


def _ruff_command(path: str, root: Path, source: str) -> ToolCommand:
    return ToolCommand(prefix=(path,), version=ruff_version(path, root) or "", source=source)


def _ruff_package_binary() -> str | None:
    """The binary of the ruff package beside qualgate, wherever pip put its scripts
    (``--user``, a prefix...): the package's own `find_ruff_bin` knows."""
    if importlib.util.find_spec("ruff") is None:
        return None
    try:
        # import_module: the ruff package ships no type information.
        package = importlib.import_module("ruff")
        return str(package.find_ruff_bin())
    except (ImportError, AttributeError, FileNotFoundError):
        return None


def ruff_version(ruff: str, root: Path) -> str | None:
    return process.tool_version((ruff, "--version"), str(root))


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.11.2+dev"`` -> (1, 11, 2); a pre-release tail ends the number (2.0rc1 -> (2, 0))."""
    parts: list[int] = []
    for piece in text.split("."):
        match = re.match(r"\d+", piece)
        if match is None:
            break
        parts.append(int(match.group(0)))
        if match.end() != len(piece):
            break
    return tuple(parts)


_parse_version = parse_version


@dataclass(frozen=True, kw_only=True, slots=True)
class MypyCommand:
    """How to start mypy for the project, which mypy that is, and how it reports."""

    prefix: tuple[str, ...]
    version: str
    # mypy >= 1.11 prints JSON lines; an older one one-line text (see `mypytext`).
    json_output: bool = True
    source: str = "project"


def find_mypy(env: Environment, timeout: float, pinned: str | None = None) -> MypyCommand:
    """The project's mypy (``<python> -m mypy``), else ours pointed at the project's
    interpreter with ``--python-executable``."""
    tool = python_tool(env, "mypy", "mypy", timeout)
    if tool is None:
        raise ToolMissing(
            "mypy is not installed (neither in the project's interpreter nor beside qualgate)",
            f"install mypy: {env.install_hint(pinned or 'mypy')}",
        )
    prefix = tool.prefix
    if tool.source == "qualgate" and env.own and env.python != sys.executable:
        prefix = (*prefix, "--python-executable", env.python)
    version = parse_version(tool.version)
    if version < MYPY_TEXT_MIN:
        raise GateError(
            f"mypy {tool.version} is too old: qualgate reads mypy 0.800 and newer",
            f"upgrade it: {env.install_hint('mypy>=1.11')}",
        )
    return MypyCommand(
        prefix=prefix,
        version=tool.version,
        json_output=version >= MYPY_MIN,
        source=tool.source,
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "no output"


first_line = _first_line


_EXCERPT = re.compile(r"^(?:\d+\s*)?\|.*$|^[\s^~-]+$")


def crash_reason(tool: str, stderr: str, stdout: str = "") -> str:
    """One line from a crashed tool: its error lines joined, without warnings or the
    source excerpts ruff draws under a TOML error."""
    lines = [
        line.strip()
        for line in (stderr or stdout).splitlines()
        if line.strip()
        and not line.strip().startswith("warning:")
        and not _EXCERPT.match(line.strip())
    ]
    if not lines:
        return f"{tool} failed without a message"
    text = ": ".join(lines[:5])
    return text if text.startswith(f"{tool} failed") else f"{tool} failed: {text}"


def crashed(
    name: str, argv: Sequence[str], version: str | None, duration_ms: int, reason: str
) -> Outcome:
    return Outcome(
        check=Check(
            name=name,
            status=Status.ERROR,
            duration_ms=duration_ms,
            command=tuple(argv),
            tool_version=version,
            summary=reason,
        ),
        reason=reason,
        hint="fix the tool or its configuration, then rerun",
    )


def finished(
    name: str,
    argv: Sequence[str],
    version: str | None,
    duration_ms: int,
    findings: Sequence[Finding],
) -> Outcome:
    """A check that ran to the end: it fails when a finding blocks."""
    return Outcome(
        check=Check(
            name=name,
            status=Status.FAIL if any(f.blocking for f in findings) else Status.PASS,
            duration_ms=duration_ms,
            command=tuple(argv),
            tool_version=version,
            findings=len(findings),
        ),
        findings=tuple(findings),
    )


def dot_slash(paths: Iterable[str]) -> tuple[str, ...]:
    """Paths as tool arguments that no tool can take for an option: a file named
    ``--exclude=x.py`` or ``@args`` (mypy reads argument files) becomes ``./--exclude=x.py``.
    Other paths stay as they are (mypy derives module names from them)."""
    return tuple(f"./{p}" if p.startswith(("-", "@", "+")) else p for p in paths)
