"""black and isort, each with ``--check --diff``: one finding per file they would change.

Both run in the project root with ``.`` as target, so their own include/exclude/skip
settings (and black's ``.gitignore`` handling) decide which files they look at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from qualgate import process

from .diff import by_file, format_finding
from .env import ToolCommand
from .rules import BLACK, ISORT, RULES, SYNTAX_ERROR
from .tools import Outcome, Relpath, crash_reason, crashed, finished, parse_version

BLACK_CHECK = "black"
ISORT_CHECK = "isort"

# black < 24: "error: cannot format src/x.py: Cannot parse for target version ...: 3:7: def f(:"
# black >= 24: "error: cannot parse: src/x.py:3:7" (columns 0-based in both)
_BLACK_PARSE = re.compile(
    r"^error: cannot (?:format (?P<path>.+?): Cannot parse[^:]*: "
    r"(?P<line>\d+):(?P<col>\d+): ?(?P<src>.*)"
    r"|parse: (?P<path2>.+?):(?P<line2>\d+):(?P<col2>\d+))$"
)


def run_black(
    tool: ToolCommand,
    root: Path,
    *,
    timeout: float,
    relpath: Relpath,
    extra: Sequence[str] = (),
    targets: Sequence[str] = (".",),
) -> Outcome:
    """``black --check --diff .``: exit 1 means files would change, 123 an internal error
    (a file it cannot parse is a finding; anything else an error)."""
    argv = (*tool.prefix, "--check", "--diff", *extra, *targets)
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install black")
    parse_errors = []
    others = []
    for line in done.stderr.splitlines():
        match = _BLACK_PARSE.match(line.strip())
        if match:
            path = match["path"] or match["path2"]
            line_no = int(match["line"] or match["line2"])
            col = int(match["col"] or match["col2"])
            source = (match["src"] or "").strip()
            parse_errors.append(
                RULES.finding(
                    SYNTAX_ERROR,
                    f"black cannot parse the file{': ' + source if source else ''}",
                    path=relpath(path),
                    line=line_no,
                    column=col + 1,
                    check=BLACK_CHECK,
                )
            )
        elif line.startswith("error:"):
            others.append(line.strip())
    if (
        others
        or done.returncode not in (0, 1, 123)
        or (done.returncode == 123 and not parse_errors)
    ):
        reason = "; ".join(others[:2]) if others else crash_reason("black", done.stderr)
        return crashed(BLACK_CHECK, argv, tool.version, done.duration_ms, reason)
    findings = [
        format_finding(relpath(path), diffs, rule=BLACK, tool="black", check=BLACK_CHECK)
        for path, diffs in by_file(done.stdout)
    ]
    if done.returncode == 1 and not findings:
        reason = "black --check reported changes but printed no diff"
        return crashed(BLACK_CHECK, argv, tool.version, done.duration_ms, reason)
    return finished(BLACK_CHECK, argv, tool.version, done.duration_ms, [*findings, *parse_errors])


def run_isort(
    tool: ToolCommand,
    root: Path,
    *,
    timeout: float,
    relpath: Relpath,
    targets: Sequence[str] = (".",),
) -> Outcome:
    """``isort --check-only --diff .`` (isort 4 needs ``--recursive`` for a folder)."""
    recursive = ("--recursive",) if parse_version(tool.version) < (5,) else ()
    argv = (*tool.prefix, "--check-only", "--diff", *recursive, *targets)
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install isort")
    if done.returncode not in (0, 1):
        return crashed(
            ISORT_CHECK, argv, tool.version, done.duration_ms, crash_reason("isort", done.stderr)
        )
    findings = [
        format_finding(relpath(path), diffs, rule=ISORT, tool="isort", check=ISORT_CHECK)
        for path, diffs in by_file(done.stdout)
    ]
    if done.returncode == 1 and not findings:
        reason = crash_reason("isort", done.stderr, done.stdout)
        return crashed(ISORT_CHECK, argv, tool.version, done.duration_ms, reason)
    return finished(ISORT_CHECK, argv, tool.version, done.duration_ms, findings)


def files_to_change(outcome: Outcome) -> list[str]:
    """The files a formatter's check would change (the files ``--fix`` hands it)."""
    return sorted({f.path for f in outcome.findings if f.path and f.fixable})
