"""The ``standards`` preset: common backend engineering standards as checks.

Where ruff has a rule for a standard, ruff enforces it, in its own run
(``ruff check --select <the preset's rules>``) so that the project's ``ruff-check``
stays exactly the project's configuration while the preset keeps the project's
per-file ignores, excludes and ``# noqa`` comments. No ruff rule measures function
length, so a small `ast` pass does.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from qualgate.verdict import Check, Finding, Status

from .judge import STANDARDS_CHECK as STANDARDS_CHECK
from .rules import HARDCODED_SECRET, LONG_FUNCTION, RULES
from .tools import Outcome


@dataclass(frozen=True, kw_only=True, slots=True)
class Standard:
    name: str
    title: str
    rules: tuple[str, ...]
    # Where the standard does not apply: test code, and scripts too for library-only rules.
    skip_tests: bool = False
    skip_scripts: bool = False


STANDARDS: tuple[Standard, ...] = (
    Standard(
        name="no-hardcoded-secrets",
        title="no hard-coded secrets (passwords, tokens, keys) in code",
        rules=("S105", "S106", "S107", HARDCODED_SECRET),
        skip_tests=True,
    ),
    Standard(
        name="no-sql-string-formatting",
        title="no SQL built by string formatting (use bound parameters)",
        rules=("S608",),
    ),
    Standard(
        name="no-bare-except",
        title="no bare or blind `except` that swallows every error",
        rules=("E722", "BLE001"),
    ),
    Standard(
        name="no-print-in-library-code",
        title="no print() / pprint() in library code (use logging)",
        rules=("T201", "T203"),
        skip_tests=True,
        skip_scripts=True,
    ),
    Standard(
        name="annotated-public-functions",
        title="public functions have type annotations",
        rules=("ANN001", "ANN002", "ANN003", "ANN201", "ANN205", "ANN206"),
        skip_tests=True,
        skip_scripts=True,
    ),
    Standard(
        name="max-function-lines",
        title="functions are at most N lines long",
        rules=(LONG_FUNCTION,),
    ),
)

BY_RULE: dict[str, Standard] = {rule: s for s in STANDARDS for rule in s.rules}
# Rules qualgate checks itself; the others are ruff's, selected in the preset's ruff run.
OWN_RULES = frozenset({LONG_FUNCTION, HARDCODED_SECRET})
RUFF_RULES: tuple[str, ...] = tuple(r for s in STANDARDS for r in s.rules if r not in OWN_RULES)
_NAME_RULES = frozenset({"S105", "S106", "S107"})
_ARGUMENT_RULES = frozenset({"ANN001", "ANN002", "ANN003"})

_SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "tools", "benchmarks", "examples", "docs"})
_SCRIPT_FILES = frozenset({"__main__.py", "manage.py", "setup.py", "noxfile.py", "fabfile.py"})


def is_test_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (
        any(p in ("tests", "test", "testing") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def is_script_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and (
        any(p in _SCRIPT_DIRS for p in parts[:-1]) or parts[-1] in _SCRIPT_FILES
    )


def applies(standard: Standard, path: str | None) -> bool:
    if path is None:
        return True
    if standard.skip_tests and is_test_path(path):
        return False
    return not (standard.skip_scripts and is_script_path(path))


def tag(finding: Finding) -> Finding:
    """Name the standard a finding enforces (in its data and its message)."""
    standard = BY_RULE[finding.rule]
    return dataclasses.replace(
        finding,
        message=f"[standard: {standard.name}] {finding.message}",
        data={**finding.data, "standard": standard.name, "standard_title": standard.title},
    )


# ---------------------------------------------------------------------------
# Public functions, and function length: one AST pass per file.


@dataclass(frozen=True, kw_only=True, slots=True)
class FunctionInfo:
    qualname: str
    line: int
    column: int
    end_line: int
    # Arguments start on `line` for one-line signatures; the whole signature is covered.
    signature_end: int
    public: bool


def functions(tree: ast.AST) -> list[FunctionInfo]:
    """Every function in a module, with whether it is part of the public API.

    Public: its name and every enclosing class's name do not start with ``_``
    (dunder methods count as public) and it is not nested inside another function.
    """
    out: list[FunctionInfo] = []

    def visit(node: ast.AST, prefix: str, public: bool, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name
                is_public = (
                    public
                    and not in_function
                    and (
                        not name.startswith("_") or (name.startswith("__") and name.endswith("__"))
                    )
                )
                body_start = child.body[0].lineno if child.body else child.lineno
                out.append(
                    FunctionInfo(
                        qualname=f"{prefix}{name}",
                        line=child.lineno,
                        column=child.col_offset + 1,
                        end_line=child.end_lineno or child.lineno,
                        signature_end=max(child.lineno, body_start - 1),
                        public=is_public,
                    )
                )
                visit(child, f"{prefix}{name}.<locals>.", is_public, True)
            elif isinstance(child, ast.ClassDef):
                visit(
                    child,
                    f"{prefix}{child.name}.",
                    public and not child.name.startswith("_"),
                    in_function,
                )
            else:
                visit(child, prefix, public, in_function)

    visit(tree, "", True, False)
    return out


def _enclosing(infos: Sequence[FunctionInfo], line: int) -> FunctionInfo | None:
    best: FunctionInfo | None = None
    for info in infos:
        if info.line <= line <= info.signature_end and (best is None or info.line >= best.line):
            best = info
    return best


class Sources:
    """Parsed modules, read once and shared by the filters and the length check."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[FunctionInfo] | None] = {}

    def functions(self, path: str) -> list[FunctionInfo] | None:
        if path not in self._cache:
            self._cache[path] = self._parse(path)
        return self._cache[path]

    def _parse(self, path: str) -> list[FunctionInfo] | None:
        try:
            source = (self.root / path).read_bytes()
            tree = ast.parse(source, filename=path)
        except (OSError, SyntaxError, ValueError):
            # Unreadable or invalid code is ruff-check's finding, not this check's.
            return None
        return functions(tree)


def keep(finding: Finding, sources: Sources) -> bool:
    """Whether a preset finding stands (its standard applies to that file and code)."""
    standard = BY_RULE.get(finding.rule)
    if standard is None or not applies(standard, finding.path):
        return False
    if finding.rule in _ARGUMENT_RULES and finding.path and finding.line:
        infos = sources.functions(finding.path)
        if infos is not None:
            owner = _enclosing(infos, finding.line)
            return owner is None or owner.public
    return True


def long_functions(paths: Iterable[str], sources: Sources, max_lines: int) -> list[Finding]:
    """Functions longer than ``max_lines`` physical lines, from ``def`` to the last line
    (decorators excluded; docstrings, comments and blank lines inside count)."""
    findings = []
    standard = BY_RULE[LONG_FUNCTION]
    for path in paths:
        if not path.endswith((".py", ".pyi")) or not applies(standard, path):
            continue
        for info in sources.functions(path) or ():
            length = info.end_line - info.line + 1
            if length <= max_lines:
                continue
            findings.append(
                RULES.finding(
                    LONG_FUNCTION,
                    f"[standard: {standard.name}] function `{info.qualname}` is "
                    f"{length} lines long (maximum {max_lines}): split it",
                    path=path,
                    line=info.line,
                    column=info.column,
                    end_line=info.end_line,
                    check=STANDARDS_CHECK,
                    data={
                        "standard": standard.name,
                        "standard_title": standard.title,
                        "function": info.qualname,
                        "lines": length,
                        "max": max_lines,
                    },
                )
            )
    return findings


def outcome(
    ruff_outcome: Outcome,
    files: Sequence[str],
    root: Path,
    max_lines: int,
) -> Outcome:
    """Combine the preset's ruff run with the length check into the ``standards`` check."""
    if ruff_outcome.check.status is Status.ERROR:
        return ruff_outcome
    sources = Sources(root)
    kept = [tag(f) for f in ruff_outcome.findings if keep(f, sources)]
    kept.extend(long_functions(files, sources, max_lines))
    check = ruff_outcome.check
    return Outcome(
        check=Check(
            name=STANDARDS_CHECK,
            status=Status.FAIL if any(f.blocking for f in kept) else Status.PASS,
            duration_ms=check.duration_ms,
            command=check.command,
            tool_version=check.tool_version,
            findings=len(kept),
        ),
        findings=tuple(kept),
    )


def with_secrets(result: Outcome, secrets: Sequence[Finding]) -> Outcome:
    """Add the content scan's secrets to the standards check, one finding per line: ruff's
    S105-S107 (a secret by its name) stand for a plain keyword match on their line; a
    named format (AWS, Stripe...) or a high-entropy value replaces them."""
    by_line = {(f.path, f.line) for f in result.findings if f.rule in _NAME_RULES}
    shadowed: set[tuple[str | None, int | None]] = set()
    added: list[Finding] = []
    for secret in secrets:
        key = (secret.path, secret.line)
        if key in by_line and secret.data.get("kind") == "Secret Keyword":
            continue
        if key in by_line:
            shadowed.add(key)
        added.append(tag(secret))
    kept = [
        f for f in result.findings if not (f.rule in _NAME_RULES and (f.path, f.line) in shadowed)
    ]
    findings = (*kept, *added)
    check = result.check
    return Outcome(
        check=dataclasses.replace(
            check,
            status=Status.FAIL if any(f.blocking for f in findings) else Status.PASS,
            findings=len(findings),
        ),
        findings=tuple(findings),
    )
