"""ruff: lint diagnostics (``ruff check --output-format json``) and formatting
(``ruff format --diff``, a unified diff: the first changed line comes from its hunks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.verdict import Check, Finding, Severity, Status

from .diff import by_file, format_finding
from .rules import RULES, SYNTAX_ERROR
from .tools import Outcome, crash_reason, crashed, first_line

RUFF_CHECK = "ruff-check"
RUFF_FORMAT = "ruff-format"

Relpath = Callable[[str], str]

PARSE_ERROR = re.compile(
    r"^error: Failed to parse (?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$"
)


def _loc(value: object) -> tuple[int | None, int | None]:
    if not isinstance(value, dict):
        return None, None
    row, col = value.get("row"), value.get("column")
    return (row if isinstance(row, int) and row > 0 else None), (
        col if isinstance(col, int) and col > 0 else None
    )


def parse_check_json(text: str, relpath: Relpath, check: str) -> list[Finding]:
    """Findings from ``ruff check --output-format json`` (raises ValueError on bad JSON)."""
    items = json.loads(text or "[]")
    if not isinstance(items, list):
        raise ValueError("ruff JSON output is not a list")
    findings = []
    for item in items:
        line, column = _loc(item.get("location"))
        end_line, end_column = _loc(item.get("end_location"))
        fix = item.get("fix") or None
        applicability = fix.get("applicability") if isinstance(fix, dict) else None
        data: dict[str, Any] = {}
        if item.get("name"):
            data["name"] = item["name"]
        if isinstance(fix, dict):
            data["fix"] = {"applicability": applicability, "message": fix.get("message")}
        message = str(item.get("message", ""))
        if item.get("cell") is not None:
            # In a notebook ruff counts rows within a cell: they are not lines of the
            # .ipynb file, so they go to data and the finding points at the file.
            data.update(cell=item["cell"], cell_line=line, cell_column=column)
            message = f"cell {item['cell']}, line {line}: {message}"
            line = column = end_line = end_column = None
        code = item.get("code")
        # ruff's own codes keep ruff's help (its rule page, when it has one); an older
        # ruff gives a syntax error no code, and the gate names it.
        rule, help_url = (
            (str(code), item.get("url") or None)
            if code
            else (SYNTAX_ERROR, RULES.help_url(SYNTAX_ERROR))
        )
        severity = Severity.WARNING if item.get("severity") == "warning" else Severity.ERROR
        findings.append(
            Finding(
                rule=rule,
                severity=severity,
                message=message,
                path=relpath(str(item["filename"])) if item.get("filename") else None,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                check=check,
                # ruff before 0.1 called a safe fix "Automatic".
                fixable=str(applicability).lower() in ("safe", "automatic"),
                help=help_url,
                data=data,
            )
        )
    return findings


def run_check(
    ruff: str,
    root: Path,
    *,
    version: str | None,
    timeout: float,
    relpath: Relpath,
    extra: Sequence[str] = (),
    name: str = RUFF_CHECK,
    targets: Sequence[str] = (".",),
    legacy_format: bool = False,
) -> Outcome:
    """``ruff check`` with the project's config; ``--no-fix`` so a ``fix = true`` config
    never makes a check write files. ruff before 0.0.291 spells the output option
    ``--format``."""
    output = "--format" if legacy_format else "--output-format"
    argv = (ruff, "check", output, "json", "--no-fix", *extra, *targets)
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install ruff")
    if done.returncode not in (0, 1):
        return crashed(name, argv, version, done.duration_ms, crash_reason("ruff", done.stderr))
    try:
        findings = parse_check_json(done.stdout, relpath, name)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = f"ruff printed no readable JSON ({exc}): {first_line(done.stderr)}"
        return crashed(name, argv, version, done.duration_ms, reason)
    if done.returncode == 1 and not findings:
        return crashed(name, argv, version, done.duration_ms, crash_reason("ruff", done.stderr))
    return Outcome(
        check=Check(
            name=name,
            status=Status.FAIL if any(f.blocking for f in findings) else Status.PASS,
            duration_ms=done.duration_ms,
            command=argv,
            tool_version=version,
            findings=len(findings),
        ),
        findings=tuple(findings),
    )


def run_format(
    ruff: str,
    root: Path,
    *,
    version: str | None,
    timeout: float,
    relpath: Relpath,
    report_parse_errors: bool,
    targets: Sequence[str] = (".",),
    extra: Sequence[str] = (),
) -> Outcome:
    """``ruff format --diff``: one finding per file that would change."""
    argv = (ruff, "format", "--diff", *extra, *targets)
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install ruff")
    parse_errors: list[Finding] = []
    other_errors: list[str] = []
    for line in done.stderr.splitlines():
        match = PARSE_ERROR.match(line.strip())
        if match:
            parse_errors.append(
                RULES.finding(
                    SYNTAX_ERROR,
                    f"cannot be formatted: {match['msg']}",
                    path=relpath(match["path"]),
                    line=int(match["line"]),
                    column=int(match["col"]),
                    check=RUFF_FORMAT,
                )
            )
        elif line.startswith("error:"):
            other_errors.append(line.strip())
    broken = done.returncode not in (0, 1) and (other_errors or not parse_errors)
    if broken:
        reason = "; ".join(other_errors[:2]) if other_errors else crash_reason("ruff", done.stderr)
        return crashed(RUFF_FORMAT, argv, version, done.duration_ms, reason)
    findings = [format_finding(relpath(path), diffs) for path, diffs in by_file(done.stdout)]
    if done.returncode == 1 and not findings:
        return crashed(
            RUFF_FORMAT,
            argv,
            version,
            done.duration_ms,
            "ruff format --diff reported changes but printed no diff",
        )
    if report_parse_errors:
        findings.extend(parse_errors)
    return Outcome(
        check=Check(
            name=RUFF_FORMAT,
            status=Status.FAIL if findings else Status.PASS,
            duration_ms=done.duration_ms,
            command=argv,
            tool_version=version,
            findings=len(findings),
        ),
        findings=tuple(findings),
    )
