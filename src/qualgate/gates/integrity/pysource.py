"""What the guards read in Python source: skip marks, suppression comments and test functions.

Everything here is pure: text in, facts out. Skip marks and test functions come from the
syntax tree, suppressions from comment tokens only, so a ``# noqa`` inside a string or a
``pytest.skip`` in a docstring never counts.
"""

from __future__ import annotations

import ast
import hashlib
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

# Names that skip a test or expect it to fail, wherever they are reached from
# (``pytest.mark.skip``, ``unittest.skipIf``, ``self.skipTest``, ``from pytest import skip``).
SKIP_NAMES = frozenset(
    {
        "skip",
        "skipif",
        "xfail",
        "importorskip",
        "skipTest",
        "skipIf",
        "skipUnless",
        "expectedFailure",
        "SkipTest",
    }
)
_SKIP_ROOTS = frozenset({"pytest", "unittest", "self", "cls", "mark"})

SUPPRESSIONS: dict[str, re.Pattern[str]] = {
    "new-noqa": re.compile(r"#\s*(?:noqa\b|(?:ruff|flake8)\s*:\s*noqa\b)", re.IGNORECASE),
    "new-type-ignore": re.compile(
        r"#\s*(?:type\s*:\s*ignore\b|pyright\s*:\s*ignore\b|mypy\s*:\s*ignore-errors\b"
        r"|pyre-(?:ignore|fixme)\b)",
        re.IGNORECASE,
    ),
    "new-no-cover": re.compile(r"#\s*pragma\s*:\s*no\s*(?:cover|branch)\b", re.IGNORECASE),
}

# Calls that check something, besides `assert`: unittest's and mock's assert* methods,
# pytest.raises/warns/fail, self.fail.
_CHECK_CALLS = frozenset({"raises", "warns", "fail", "deprecated_call"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Occurrence:
    """One mark or comment: what it is, where, and the stripped text of its line."""

    kind: str
    line: int
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TestFunction:
    name: str
    line: int
    checks: int
    trivial: bool
    # The body's syntax tree, hashed: the same test under a new name is a rename.
    body: str


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _dotted(node: ast.expr) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts += _dotted(node.func)
    return list(reversed(parts))


def skip_marks(tree: ast.Module, lines: list[str]) -> list[Occurrence]:
    """Every skip/xfail mark or call in the module."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _SKIP_ROOTS
        for alias in node.names
        if alias.name in SKIP_NAMES
    }
    found: list[Occurrence] = []
    for node in ast.walk(tree):
        kind: str | None = None
        if isinstance(node, ast.Attribute) and node.attr in SKIP_NAMES:
            dotted = _dotted(node)
            if dotted and (dotted[0] in _SKIP_ROOTS or "mark" in dotted[:-1]):
                kind = ".".join(dotted)
        elif isinstance(node, ast.Name) and node.id in imported:
            kind = node.id
        if kind is not None and isinstance(node, (ast.Attribute, ast.Name)):
            found.append(Occurrence(kind=kind, line=node.lineno, text=_line(lines, node.lineno)))
    return found


def _line(lines: list[str], number: int) -> str:
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def _comments(source: str) -> Iterator[tuple[int, str]]:
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                yield tok.start[0], tok.string
    except (tokenize.TokenError, SyntaxError, ValueError):
        # Broken code (lint-format reports it): fall back to the text after a `#`.
        for number, raw in enumerate(source.splitlines(), 1):
            if "#" in raw:
                yield number, raw[raw.index("#") :]


def suppressions(source: str) -> list[Occurrence]:
    """Every suppression comment (noqa, type: ignore, pragma: no cover) in the source."""
    lines = source.splitlines()
    found: list[Occurrence] = []
    for number, comment in _comments(source):
        for kind, pattern in SUPPRESSIONS.items():
            if pattern.search(comment):
                found.append(Occurrence(kind=kind, line=number, text=_line(lines, number)))
    return found


def _is_test_class(node: ast.ClassDef) -> bool:
    if node.name.startswith("Test"):
        return True
    return any("TestCase" in ".".join(_dotted(base)) for base in node.bases)


def test_functions(tree: ast.Module) -> dict[str, TestFunction]:
    """Test functions by qualified name (``TestX::test_y``), as pytest collects them."""
    found: dict[str, TestFunction] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name.startswith("test"):
                    found[prefix + node.name] = TestFunction(
                        name=node.name,
                        line=node.lineno,
                        checks=_checks(node),
                        trivial=_trivial(node.body),
                        body=_body_hash(node),
                    )
            elif isinstance(node, ast.ClassDef) and _is_test_class(node):
                visit(node.body, f"{prefix}{node.name}::")

    visit(tree.body, "")
    return found


def _body_hash(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    tree = ast.Module(body=fn.body, type_ignores=[])
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def _checks(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """How many assertions (or assertion-like calls) the function makes."""
    count = 0
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert) and not _constant_true(node.test):
            count += 1
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)[-1:] or [""]
            if name[0].startswith("assert") or name[0] in _CHECK_CALLS:
                count += 1
    return count


def _constant_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _trivial(body: list[ast.stmt]) -> bool:
    """A body that does nothing: pass, ``...``, a docstring, ``return``, ``assert True``."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Return) and (
            stmt.value is None or isinstance(stmt.value, ast.Constant)
        ):
            continue
        if isinstance(stmt, ast.Assert) and _constant_true(stmt.test):
            continue
        return False
    return True
