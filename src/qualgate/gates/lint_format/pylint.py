"""pylint with ``--output-format=json2`` (pylint >= 3; ``json`` before).

pylint's exit status decides, as it does for the project: a run that exits 0 (its score
is at or above ``fail-under``, or ``exit-zero``) reports its messages as warnings; a run
that fails makes every message but ``info`` an error. Bit 32 (usage error) or output that
is not JSON is an ``error`` verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.verdict import Finding, Severity

from .env import ToolCommand
from .tools import Outcome, Relpath, crash_reason, crashed, finished, parse_version

PYLINT = "pylint"
_USAGE_ERROR = 32
_CATEGORY = {"info": "information"}


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _column(value: object) -> int | None:
    # pylint's columns are 0-based; the verdict's are 1-based.
    return (
        value + 1 if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
    )


def parse(text: str, relpath: Relpath, *, failed: bool) -> list[Finding]:
    """Findings from json2 (``{"messages": [...]}``) or json (``[...]``) output."""
    data: Any = json.loads(text or "[]")
    messages = data.get("messages") if isinstance(data, dict) else data
    if not isinstance(messages, list):
        raise ValueError("pylint JSON output holds no message list")
    findings = []
    for item in messages:
        if not isinstance(item, dict):
            raise ValueError("a pylint message is not an object")
        kind = str(item.get("type", "warning"))
        symbol = str(item.get("symbol") or item.get("messageId") or item.get("message-id") or "")
        message_id = item.get("messageId") or item.get("message-id")
        if kind == "info":
            severity = Severity.NOTE
        else:
            severity = Severity.ERROR if failed else Severity.WARNING
        line = _positive(item.get("line"))
        end_line = _positive(item.get("endLine"))
        path = item.get("path") or item.get("absolutePath")
        category = _CATEGORY.get(kind, kind)
        findings.append(
            Finding(
                rule=symbol or "pylint",
                severity=severity,
                message=str(item.get("message", "")),
                path=relpath(str(path)) if path else None,
                line=line,
                column=_column(item.get("column")) if line else None,
                end_line=end_line if line else None,
                end_column=_column(item.get("endColumn")) if line and end_line else None,
                check=PYLINT,
                help=(
                    f"https://pylint.readthedocs.io/en/stable/user_guide/messages/{category}/{symbol}.html"
                    if symbol and symbol != message_id
                    else None
                ),
                data={
                    k: v
                    for k, v in (
                        ("message_id", message_id),
                        ("type", kind),
                        ("obj", item.get("obj")),
                    )
                    if v
                },
            )
        )
    return findings


def run(
    tool: ToolCommand, root: Path, *, timeout: float, relpath: Relpath, targets: tuple[str, ...]
) -> Outcome:
    fmt = "json2" if parse_version(tool.version) >= (3,) else "json"
    argv = (*tool.prefix, f"--output-format={fmt}", *targets)
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install pylint")
    if done.returncode < 0 or done.returncode & _USAGE_ERROR:
        return crashed(
            PYLINT, argv, tool.version, done.duration_ms, crash_reason("pylint", done.stderr)
        )
    failed = done.returncode & 31 != 0
    try:
        findings = parse(done.stdout, relpath, failed=failed)
    except (ValueError, TypeError) as exc:
        reason = f"pylint printed no readable JSON ({exc}): {crash_reason('pylint', done.stderr)}"
        return crashed(PYLINT, argv, tool.version, done.duration_ms, reason)
    if failed and not findings:
        return crashed(
            PYLINT, argv, tool.version, done.duration_ms, crash_reason("pylint", done.stderr)
        )
    return finished(PYLINT, argv, tool.version, done.duration_ms, findings)
