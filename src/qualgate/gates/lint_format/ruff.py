"""ruff: lint diagnostics (``ruff check --output-format json``) and formatting
(``ruff format --diff``, a unified diff: the first changed line comes from its hunks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.verdict import Check, Finding, Severity, Status

from .rules import FORMAT, RULES, SYNTAX_ERROR
from .tools import Outcome, first_line

RUFF_CHECK = "ruff-check"
RUFF_FORMAT = "ruff-format"

Relpath = Callable[[str], str]

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
PARSE_ERROR = re.compile(
    r"^error: Failed to parse (?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$"
)


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
                fixable=applicability == "safe",
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
) -> Outcome:
    """``ruff check`` with the project's config; ``--no-fix`` so a ``fix = true`` config
    never makes a check write files."""
    argv = (ruff, "check", "--output-format", "json", "--no-fix", *extra, *targets)
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


@dataclass(frozen=True, kw_only=True, slots=True)
class FileDiff:
    """What the formatter would change in one file (line numbers of the current file)."""

    path: str
    first_line: int
    lines: frozenset[int]
    hunks: int
    # Notebooks are diffed cell by cell ("nb.ipynb:cell 2"); lines are then cell lines.
    cell: int | None = None


def parse_diff(text: str) -> list[FileDiff]:
    """Files and changed lines from the unified diff ``ruff format --diff`` prints.

    A removed line counts at its own number; an inserted line at the line it is inserted
    before (so a missing blank line is reported where it belongs). Hunk lengths are
    tracked so that a removed line starting with ``--`` is never taken for a header.
    """
    out: list[FileDiff] = []
    path: str | None = None
    lines: set[int] = set()
    hunks = 0
    old = old_left = new_left = last = 0

    def flush() -> None:
        if path is not None and lines:
            name, cell = _split_cell(path)
            out.append(
                FileDiff(
                    path=name,
                    first_line=min(lines),
                    lines=frozenset(lines),
                    hunks=hunks,
                    cell=cell,
                )
            )

    block: int | None = None  # the old line where the current run of changes began
    for raw in text.splitlines():
        if old_left <= 0 and new_left <= 0:
            block = None
            if raw.startswith("--- "):
                flush()
                path, lines, hunks = _diff_path(raw[4:]), set(), 0
                continue
            match = _HUNK.match(raw)
            if match and path is not None:
                hunks += 1
                old = int(match.group(1))
                old_left = int(match.group(2)) if match.group(2) is not None else 1
                new_left = int(match.group(4)) if match.group(4) is not None else 1
                # An empty old range (",0") means an insertion after line `old`.
                if old_left == 0:
                    old += 1
                last = old + old_left - 1 if old_left else old
            continue
        if raw.startswith("\\"):
            continue
        if raw.startswith("-"):
            block = old if block is None else block
            lines.add(max(old, 1))
            old += 1
            old_left -= 1
        elif raw.startswith("+"):
            # Replacement lines belong to the lines they replace; a pure insertion to
            # the line it comes before (the last line when it is appended at the end).
            block = min(old, max(last, 1)) if block is None else block
            lines.add(max(block, 1))
            new_left -= 1
        else:
            block = None
            old += 1
            old_left -= 1
            new_left -= 1
    flush()
    return out


_CELL = re.compile(r"^(?P<path>.+\.ipynb):cell (?P<cell>\d+)$")


def _split_cell(path: str) -> tuple[str, int | None]:
    match = _CELL.match(path)
    return (match["path"], int(match["cell"])) if match else (path, None)


def _diff_path(text: str) -> str:
    # Unified diff headers may carry a tab and a timestamp after the name.
    name = text.split("\t", 1)[0].strip()
    return name[2:] if name.startswith(("a/", "b/")) else name


def _by_file(text: str) -> list[tuple[str, list[FileDiff]]]:
    grouped: dict[str, list[FileDiff]] = {}
    for diff in parse_diff(text):
        grouped.setdefault(diff.path, []).append(diff)
    return list(grouped.items())


def _format_finding(path: str, diffs: list[FileDiff]) -> Finding:
    """One finding per file: at the first changed line (notebooks: the file, with cells)."""
    first = diffs[0]
    hunks = sum(d.hunks for d in diffs)
    hunk_text = f"{hunks} {'hunk' if hunks == 1 else 'hunks'}"
    if first.cell is None:
        last = max(first.lines)
        return RULES.finding(
            FORMAT,
            f"file would be reformatted by `ruff format` "
            f"(first change at line {first.first_line}, {hunk_text})",
            path=path,
            line=first.first_line,
            # The span the formatter changes: with --base the finding is new when a
            # changed line lies in it (a new defect below an old one still counts).
            end_line=last if last > first.first_line else None,
            check=RUFF_FORMAT,
            fixable=True,
            data={"changed_lines": sorted(first.lines), "hunks": hunks},
        )
    cells = [d.cell for d in diffs]
    return RULES.finding(
        FORMAT,
        f"notebook would be reformatted by `ruff format` (first change in cell "
        f"{first.cell}, line {first.first_line}; {len(cells)} cells, {hunk_text})",
        path=path,
        check=RUFF_FORMAT,
        fixable=True,
        data={"cells": cells, "cell_line": first.first_line, "hunks": hunks},
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
) -> Outcome:
    """``ruff format --diff``: one finding per file that would change."""
    argv = (ruff, "format", "--diff", *targets)
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
    findings = [_format_finding(relpath(path), diffs) for path, diffs in _by_file(done.stdout)]
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
