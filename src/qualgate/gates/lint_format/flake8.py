"""flake8 with a machine-readable ``--format`` template.

flake8 fills its format string with Python's ``%`` operator, so ``%(path)r`` and
``%(text)r`` give Python literals: each report is one line ``qualgate:(row, col, 'code',
'path', 'text')`` whatever the path or message holds (quotes, colons, newlines), read back
with `ast.literal_eval`. Every other line (``--show-source``, ``--count``, ``--statistics``
from the project's config) is ignored. The project's config, plugins, ``select``/``ignore``
and ``per-file-ignores`` all apply: flake8 runs in the root with ``.`` as target.
"""

from __future__ import annotations

import ast
from pathlib import Path

from qualgate import process
from qualgate.verdict import Finding, Severity

from .env import ToolCommand
from .rules import FLAKE8_CODES_URL, FLAKE8_UNCODED, PYCODESTYLE_CODES_URL, RULES
from .tools import Outcome, Relpath, crash_reason, crashed, finished

FLAKE8 = "flake8"
MARK = "qualgate:"
TEMPLATE = MARK + "(%(row)d, %(col)d, %(code)r, %(path)r, %(text)r)"


def _help(code: str) -> str | None:
    if code[:1] == "F":
        return FLAKE8_CODES_URL
    if code[:1] in ("E", "W"):
        return PYCODESTYLE_CODES_URL
    return None


def parse_line(line: str) -> tuple[int, int, str, str, str] | None:
    """One report of the template, or None for any other line."""
    if not line.startswith(MARK):
        return None
    try:
        value = ast.literal_eval(line[len(MARK) :].strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not (
        isinstance(value, tuple)
        and len(value) == 5
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value[:2])
        and all(isinstance(v, str) for v in value[2:])
    ):
        return None
    row, col, code, path, text = value
    return row, col, code, path, text


def parse(stdout: str, relpath: Relpath) -> tuple[list[Finding], list[str]]:
    """Findings from flake8's output, and the lines that were not reports."""
    findings: list[Finding] = []
    other: list[str] = []
    for raw in stdout.splitlines():
        report = parse_line(raw)
        if report is None:
            if raw.strip():
                other.append(raw.strip())
            continue
        row, col, code, path, text = report
        rule = code or FLAKE8_UNCODED
        findings.append(
            Finding(
                rule=rule,
                severity=Severity.ERROR,
                message=text,
                path=relpath(path.removeprefix("./")),
                line=row if row > 0 else None,
                column=col if col > 0 and row > 0 else None,
                check=FLAKE8,
                help=_help(code) if code else RULES.help_url(FLAKE8_UNCODED),
            )
        )
    return findings, other


def run(
    tool: ToolCommand,
    root: Path,
    *,
    timeout: float,
    relpath: Relpath,
    targets: tuple[str, ...] = (".",),
) -> Outcome:
    """``flake8 --format=<template> .``: exit 1 with reports is a failure; exit 1 with
    none, or any other exit, is flake8 failing (a plugin crash, a bad config)."""
    argv = (*tool.prefix, f"--format={TEMPLATE}", *targets)
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install flake8")
    findings, _ = parse(done.stdout, relpath)
    if done.returncode not in (0, 1) or (done.returncode == 1 and not findings):
        reason = crash_reason("flake8", done.stderr, done.stdout)
        return crashed(FLAKE8, argv, tool.version, done.duration_ms, reason)
    return finished(FLAKE8, argv, tool.version, done.duration_ms, findings)
