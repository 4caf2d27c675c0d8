"""Unified diffs from formatters (``ruff format --diff``, ``black --check --diff``,
``isort --check-only --diff``): the files they would change and the lines, one finding
per file at its first changed line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qualgate.verdict import Finding

from .rules import FORMAT, ISORT, RULES

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


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
    # Unified diff headers may carry a tab and a timestamp after the name; isort marks
    # its two sides `path:before` / `path:after`.
    name = text.split("\t", 1)[0].strip()
    name = name.removesuffix(":before").removesuffix(":after")
    return name[2:] if name.startswith(("a/", "b/")) else name


def by_file(text: str) -> list[tuple[str, list[FileDiff]]]:
    grouped: dict[str, list[FileDiff]] = {}
    for diff in parse_diff(text):
        grouped.setdefault(diff.path, []).append(diff)
    return list(grouped.items())


def format_finding(
    path: str,
    diffs: list[FileDiff],
    *,
    rule: str = FORMAT,
    tool: str = "ruff format",
    check: str = "ruff-format",
) -> Finding:
    """One finding per file: at the first changed line (notebooks: the file, with cells)."""
    first = diffs[0]
    hunks = sum(d.hunks for d in diffs)
    hunk_text = f"{hunks} {'hunk' if hunks == 1 else 'hunks'}"
    what = (
        f"imports would be sorted by `{tool}`"
        if rule == ISORT
        else f"file would be reformatted by `{tool}`"
    )
    if first.cell is None:
        last = max(first.lines)
        return RULES.finding(
            rule,
            f"{what} (first change at line {first.first_line}, {hunk_text})",
            path=path,
            line=first.first_line,
            # The span the formatter changes: with --base the finding is new when a
            # changed line lies in it (a new defect below an old one still counts).
            end_line=last if last > first.first_line else None,
            check=check,
            fixable=True,
            data={"changed_lines": sorted(first.lines), "hunks": hunks},
        )
    cells = [d.cell for d in diffs]
    return RULES.finding(
        rule,
        f"notebook: {what} (first change in cell "
        f"{first.cell}, line {first.first_line}; {len(cells)} cells, {hunk_text})",
        path=path,
        check=check,
        fixable=True,
        data={"cells": cells, "cell_line": first.first_line, "hunks": hunks},
    )
