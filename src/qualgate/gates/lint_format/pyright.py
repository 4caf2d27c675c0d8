"""pyright (or basedpyright) with ``--outputjson``.

Its configuration (``pyrightconfig.json`` or ``[tool.pyright]``) decides what it checks;
``--pythonpath`` names the project's interpreter (one qualgate trusts, see `env`), so
imports resolve against the project's packages and pyright never picks an interpreter
from ``PATH``. Lines and characters in its JSON are 0-based.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.verdict import Finding, Severity

from .env import ToolCommand
from .rules import PYRIGHT_RULES_URL
from .tools import Outcome, Relpath, crash_reason, crashed, finished

PYRIGHT = "pyright"
_SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING}


def _position(value: Any) -> tuple[int | None, int | None]:
    if not isinstance(value, dict):
        return None, None
    line, char = value.get("line"), value.get("character")
    if not isinstance(line, int) or isinstance(line, bool) or line < 0:
        return None, None
    column = (
        char + 1 if isinstance(char, int) and not isinstance(char, bool) and char >= 0 else None
    )
    return line + 1, column


def parse(text: str, relpath: Relpath) -> list[Finding]:
    """Findings from ``--outputjson`` (raises ValueError when it is not that JSON)."""
    data = json.loads(text)
    diagnostics = data.get("generalDiagnostics") if isinstance(data, dict) else None
    if not isinstance(diagnostics, list):
        raise ValueError("no generalDiagnostics list")
    findings = []
    for item in diagnostics:
        if not isinstance(item, dict):
            raise ValueError("a diagnostic is not an object")
        rng = item.get("range")
        rng = rng if isinstance(rng, dict) else {}
        line, column = _position(rng.get("start"))
        end_line, end_column = _position(rng.get("end"))
        rule = item.get("rule")
        findings.append(
            Finding(
                rule=str(rule) if rule else "pyright",
                severity=_SEVERITY.get(str(item.get("severity")), Severity.NOTE),
                message=str(item.get("message", "")),
                path=relpath(str(item["file"])) if item.get("file") else None,
                line=line,
                column=column,
                end_line=end_line if line else None,
                end_column=end_column if line and end_line else None,
                check=PYRIGHT,
                help=PYRIGHT_RULES_URL,
            )
        )
    return findings


def run(tool: ToolCommand, root: Path, *, python: str, timeout: float, relpath: Relpath) -> Outcome:
    """Exit 0: no errors; 1: errors; 2 (fatal), 3 (config), 4 (arguments): pyright failed."""
    argv = (*tool.prefix, "--outputjson", "--pythonpath", python)
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install pyright")
    if done.returncode not in (0, 1):
        reason = crash_reason("pyright", done.stderr, done.stdout)
        return crashed(PYRIGHT, argv, tool.version, done.duration_ms, reason)
    # The PyPI wrapper may print its own lines before the JSON document.
    start = done.stdout.find("{")
    try:
        findings = parse(done.stdout[start:] if start >= 0 else "", relpath)
    except (ValueError, TypeError, KeyError) as exc:
        reason = f"pyright printed no readable JSON ({exc}): {crash_reason('pyright', done.stderr)}"
        return crashed(PYRIGHT, argv, tool.version, done.duration_ms, reason)
    if done.returncode == 1 and not any(f.severity is Severity.ERROR for f in findings):
        reason = crash_reason("pyright", done.stderr, done.stdout)
        return crashed(PYRIGHT, argv, tool.version, done.duration_ms, reason)
    return finished(PYRIGHT, argv, tool.version, done.duration_ms, findings)
