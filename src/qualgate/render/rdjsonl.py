"""``--format rdjsonl``: reviewdog's Diagnostic Format as JSON Lines (``reviewdog -f=rdjsonl``).

One ``Diagnostic`` per line: ``message``, ``location`` (``path`` and a ``range``),
``severity`` (``ERROR``/``WARNING``/``INFO``), ``source`` and ``code`` (the rule and its
documentation URL). What reviewdog expects, and how it reads the stream, shapes the rest:

- paths are relative to the working directory (the verdict's project root joined with the
  finding's path): reviewdog runs in the same directory as qualgate in a pipe, and maps
  them onto the diff itself;
- columns are UTF-8 byte offsets, 1-based, and a range's end is exclusive: a verdict's
  columns (code points) are converted by reading the finding's line when the file is here;
- reviewdog reads lines with a 64 KiB buffer and silently stops at a longer one, so a
  line is cut (its message shortened, with a note) below `MAX_LINE_BYTES`;
- a finding without a path is anchored at the project's build file (as for SARIF), and
  what decides the status without a finding (the gate could not check, a failed check or
  threshold) is a diagnostic there too; a verdict with nothing to report is empty output.

reviewdog's own ``-filter-mode`` keeps what lies on the diff; findings the verdict marks
``existing`` keep their severity (the two filters agree on what changed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from qualgate.fsutil import read_text_bounded
from qualgate.render._common import defuse_json, order_findings
from qualgate.render.gitlab import verdict_problems
from qualgate.render.sarif import INFORMATION_URI, owner, project_file
from qualgate.verdict import Finding, Severity, Verdict

MAX_LINE_BYTES = 60_000  # reviewdog's bufio.Scanner gives up at 64 KiB
_MAX_SOURCE_FILE = 8 * 1024 * 1024  # files larger than this keep code-point columns
_SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.NOTE: "INFO"}
_CUT = " [... cut: see the JSON verdict for the whole message]"


def _shown(root: str, path: str) -> str:
    """``path`` (project-relative) as seen from the working directory."""
    joined = PurePosixPath(root or ".") / path
    return os.path.normpath(joined.as_posix()).replace(os.sep, "/")


class _Columns:
    """Code-point columns to UTF-8 byte columns, reading each file once."""

    def __init__(self, root: str) -> None:
        self.root = Path(root or ".")
        self.files: dict[str, list[str] | None] = {}

    def _lines(self, path: str) -> list[str] | None:
        if path not in self.files:
            self.files[path] = None
            try:
                root = self.root.resolve()
                target = (root / path).resolve()
                if target.is_relative_to(root):  # never read outside the project
                    text = read_text_bounded(target, _MAX_SOURCE_FILE, errors="replace")
                    self.files[path] = text.splitlines()
            except (OSError, ValueError, RuntimeError):
                pass
        return self.files[path]

    def byte_column(self, path: str, line: int, column: int) -> int:
        lines = self._lines(path)
        if lines is None or not 1 <= line <= len(lines):
            return column
        text = lines[line - 1]
        if text.isascii():
            return column
        return len(text[: column - 1].encode("utf-8", "replace")) + 1


def _range(f: Finding, columns: _Columns) -> dict[str, Any] | None:
    if not (f.path and f.line):
        return None
    start: dict[str, int] = {"line": f.line}
    if f.column:
        start["column"] = columns.byte_column(f.path, f.line, f.column)
    result: dict[str, Any] = {"start": start}
    end_line = f.end_line if f.end_line and f.end_line >= f.line else None
    if end_line is not None:
        end: dict[str, int] = {"line": end_line}
        same_line = end_line == f.line
        if f.column and f.end_column and (not same_line or f.end_column >= f.column):
            end["column"] = columns.byte_column(f.path, end_line, f.end_column)
        if ("column" in start) == ("column" in end):  # both line-wise, or both precise
            result["end"] = end
    return result


def _encode(diagnostic: dict[str, Any]) -> str:
    return defuse_json(json.dumps(diagnostic, ensure_ascii=False, separators=(",", ":")))


def _fits(text: str) -> bool:
    return len(text.encode("utf-8", "replace")) <= MAX_LINE_BYTES


def _line(diagnostic: dict[str, Any]) -> str:
    """One JSON line; a message too long for reviewdog's buffer keeps its longest prefix
    that fits (found by bisection: escaping makes a character cost 1 to 8 bytes)."""
    text = _encode(diagnostic)
    if _fits(text):
        return text
    message: str = diagnostic["message"]
    low, high = 0, len(message)
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(_encode({**diagnostic, "message": message[:middle] + _CUT})):
            low = middle
        else:
            high = middle - 1
    return _encode({**diagnostic, "message": message[:low] + _CUT})


def diagnostics(verdict: Verdict) -> list[dict[str, Any]]:
    """The reviewdog diagnostics of a verdict, as JSON-ready dicts."""
    root = verdict.project.root or "."
    columns = _Columns(root)
    anchor = _shown(root, project_file(verdict))
    out: list[dict[str, Any]] = []
    for p in verdict_problems(verdict):
        out.append(
            {
                "message": f"qualgate {p.gate}: {p.message}",
                "location": {"path": anchor},
                "severity": _SEVERITY[p.severity],
                "source": {"name": f"qualgate {p.gate}", "url": INFORMATION_URI},
                "code": {"value": p.kind},
            }
        )
    for f in order_findings(verdict.findings):
        location: dict[str, Any] = {"path": _shown(root, f.path) if f.path else anchor}
        span = _range(f, columns)
        if span is not None:
            location["range"] = span
        code: dict[str, str] = {"value": f.rule}
        if f.help and f.help.startswith(("https://", "http://")) and " " not in f.help:
            code["url"] = f.help
        out.append(
            {
                "message": f.message,
                "location": location,
                "severity": _SEVERITY[f.severity],
                # In a combined verdict, the gate that found it.
                "source": {
                    "name": f"qualgate {owner(verdict.gate, f) or verdict.gate}",
                    "url": INFORMATION_URI,
                },
                "code": code,
            }
        )
    return out


def render(verdict: Verdict) -> str:
    lines = [_line(d) for d in diagnostics(verdict)]
    return "".join(line + "\n" for line in lines)
