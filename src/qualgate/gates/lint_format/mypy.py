"""mypy: run with ``--output json`` (mypy >= 1.11) so each error is one JSON line; an
older mypy (a project's pin) runs with one-line text output instead (`mypytext`).

The project's own mypy configuration is read by mypy itself (it runs in the project
root). Only when that configuration names no ``files`` does the gate pass targets: the
project's packages (everything under ``src/`` in a src layout, else the top-level
packages and modules), never tests, virtual environments or build output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.policy import SKIP_DIRS
from qualgate.verdict import Check, Finding, Severity, Status

from . import mypytext
from .projectfiles import ProjectFiles
from .rules import MYPY_CODES_URL, MYPY_CONFIG, MYPY_UNCODED, RULES
from .tools import MypyCommand, Outcome, dot_slash, first_line

MYPY = "mypy"

# Folders that are never the project's own code, so never default mypy targets: what no
# gate searches, plus tests, docs, examples and scripts (most projects do not type them;
# a project that does names them in mypy's `files`) and a plain `env` virtualenv.
NOT_PROJECT_CODE = SKIP_DIRS | frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "scripts", "env"}
)

# mypy reports configuration problems on stderr as "<config file>: <problem>".
_CONFIG_PROBLEM = re.compile(r"^(?P<file>[^\s:]+\.(?:toml|ini|cfg)): (?P<msg>.+)$")


def config_names_files(files: ProjectFiles) -> bool | None:
    """Whether the project's mypy config sets ``files`` (None: no mypy config at all).

    Follows mypy's own search order: mypy.ini, .mypy.ini, pyproject.toml ([tool.mypy]),
    setup.cfg ([mypy]). Files are read bounded and only inside the root.
    """
    for name in ("mypy.ini", ".mypy.ini"):
        if files.exists(name):
            parser = files.ini(name)
            return (
                parser is not None
                and parser.has_section("mypy")
                and bool(parser.get("mypy", "files", fallback="").strip())
            )
    section = files.tool("mypy")
    if section is not None:
        return bool(section.get("files"))
    parser = files.ini("setup.cfg")
    if parser is not None and parser.has_section("mypy"):
        return bool(parser.get("mypy", "files", fallback="").strip())
    return None


def _is_code_dir(path: Path) -> bool:
    name = path.name
    return (
        path.is_dir()
        and not path.is_symlink()
        and not name.startswith((".", "_"))
        and name not in NOT_PROJECT_CODE
        and not name.endswith(".egg-info")
    )


def _is_module(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and path.suffix in (".py", ".pyi")
        and name not in ("conftest.py", "setup.py", "noxfile.py")
        and not name.startswith(("test_", "."))
        and not name.endswith("_test.py")
    )


def _has_python(folder: Path) -> bool:
    return any(p.suffix in (".py", ".pyi") for p in folder.rglob("*.py*"))


def default_targets(root: Path) -> list[str]:
    """The project's own packages and modules, as mypy targets relative to the root."""
    src = root / "src"
    if src.is_dir():
        found = [
            p
            for p in sorted(src.iterdir())
            if (_is_code_dir(p) and _has_python(p)) or _is_module(p)
        ]
        if found:
            return [p.relative_to(root).as_posix() for p in found]
    found = [
        p
        for p in sorted(root.iterdir())
        if (_is_code_dir(p) and (p / "__init__.py").is_file()) or _is_module(p)
    ]
    return [p.relative_to(root).as_posix() for p in found]


def parse(
    text: str, relpath: Callable[[str], str], *, json_output: bool = True
) -> tuple[list[Finding], list[str]]:
    """Findings from mypy's JSON lines (or, for an old mypy, its text lines), and the
    lines that were neither."""
    if json_output:
        items, other = _json_items(text)
    else:
        items, other = mypytext.items(text)
    return _findings(items, relpath), other


def _json_items(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    found: list[dict[str, Any]] = []
    other: list[str] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            other.append(raw.strip())
            continue
        if not isinstance(item, dict):
            other.append(raw.strip())
            continue
        found.append(item)
    return found, other


def _findings(items: list[dict[str, Any]], relpath: Callable[[str], str]) -> list[Finding]:
    findings: list[Finding] = []
    context: str | None = None
    for item in items:
        finding = _finding(item, relpath)
        if finding.severity is Severity.NOTE and finding.line is None:
            # `show_error_context` notes ("In member ...") have no line: they frame the
            # next error, they are not findings of their own.
            context = finding.message
            continue
        if context is not None:
            finding = replace(finding, data={**finding.data, "context": context})
            context = None
        previous = findings[-1] if findings else None
        if (
            finding.severity is Severity.NOTE
            and previous is not None
            and previous.severity is not Severity.NOTE
            and previous.path == finding.path
            and previous.line == finding.line
        ):
            # A note that explains the error just before it belongs to that error.
            notes = [*previous.data.get("notes", ()), finding.message]
            findings[-1] = _with_notes(previous, notes)
            continue
        findings.append(finding)
    return findings


def _with_notes(finding: Finding, notes: list[str]) -> Finding:
    return replace(
        finding,
        message=finding.message + "".join(f"\nnote: {n}" for n in notes[-1:]),
        data={**finding.data, "notes": notes},
    )


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _finding(item: dict[str, Any], relpath: Callable[[str], str]) -> Finding:
    severity = {"error": Severity.ERROR, "note": Severity.NOTE}.get(
        str(item.get("severity")), Severity.WARNING
    )
    message = str(item.get("message", ""))
    hint = item.get("hint")
    data: dict[str, Any] = {}
    if hint:
        message = f"{message}\n{hint}"
        data["hint"] = hint
    code = item.get("code")
    line = _positive(item.get("line"))
    # mypy's JSON columns are 0-based and its end column is exclusive-0-based; the
    # verdict uses 1-based columns with an exclusive end (like ruff).
    column = item.get("column")
    end_column = item.get("end_column")
    end_line = _positive(item.get("end_line"))
    return Finding(
        rule=str(code) if code else MYPY_UNCODED,
        severity=severity,
        message=message,
        path=relpath(str(item["file"])) if item.get("file") else None,
        line=line,
        column=column + 1 if isinstance(column, int) and column >= 0 and line else None,
        end_line=end_line if line else None,
        end_column=end_column + 1
        if isinstance(end_column, int) and end_column >= 0 and end_line and line
        else None,
        check=MYPY,
        # mypy's codes are documented on one page, the code-less messages with them.
        help=MYPY_CODES_URL if code else RULES.help_url(MYPY_UNCODED),
        data=data,
    )


def _config_note(file: str, message: str, relpath: Callable[[str], str]) -> Finding:
    return RULES.finding(
        MYPY_CONFIG,
        message.removeprefix("note:").strip(),
        path=relpath(file),
        check=MYPY,
    )


def _failure(text: str) -> str:
    """The line that says what went wrong: an ``error:`` line, a traceback's last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "error:" in line:
            return line
    if lines and lines[0].startswith("Traceback"):
        return lines[-1]
    return first_line(text)


def run(
    command: MypyCommand,
    root: Path,
    *,
    targets: Sequence[str],
    timeout: float,
    relpath: Callable[[str], str],
) -> Outcome:
    output = ("--output", "json") if command.json_output else mypytext.FLAGS
    argv = (*command.prefix, *output, *dot_slash(targets))
    done = process.run(argv, cwd=root, timeout=timeout, install_hint="pip install mypy")
    findings, other = parse(done.stdout, relpath, json_output=command.json_output)
    problems: list[str] = []
    # Config messages come on stderr (problems) or stdout (notes), never as JSON.
    for line in [*done.stderr.splitlines(), *other]:
        match = _CONFIG_PROBLEM.match(line.strip())
        if match is None:
            continue
        if match["msg"].startswith("note:"):
            # e.g. warn_unused_configs: "pyproject.toml: note: unused section(s): ..."
            findings.append(_config_note(match["file"], match["msg"], relpath))
        else:
            problems.append(line.strip())
    reason: str | None = None
    if problems:
        reason = f"mypy configuration error: {problems[0]}"
    elif (done.returncode not in (0, 1) and not findings) or (
        done.returncode == 1 and not any(f.severity is Severity.ERROR for f in findings)
    ):
        # A crash, a usage error, or "errors" without a single error reported.
        reason = "mypy failed: " + _failure(done.stderr or "\n".join(other))
    if reason is not None:
        return Outcome(
            check=Check(
                name=MYPY,
                status=Status.ERROR,
                duration_ms=done.duration_ms,
                command=argv,
                tool_version=command.version,
                summary=reason,
            ),
            reason=reason,
            hint="fix mypy's configuration or installation, then rerun",
        )
    return Outcome(
        check=Check(
            name=MYPY,
            status=Status.FAIL if any(f.blocking for f in findings) else Status.PASS,
            duration_ms=done.duration_ms,
            command=argv,
            tool_version=command.version,
            findings=len(findings),
        ),
        findings=tuple(findings),
    )
