"""dependency-scan's rule catalogue names every rule the gate can report."""

from __future__ import annotations

import ast
from pathlib import Path

from qualgate.gates.dependency_scan import gate
from qualgate.gates.dependency_scan.rules import RULES
from qualgate.rules import render_markdown
from tests.support import REPO

PACKAGE = Path(gate.__file__).parent


def rule_ids_in_source(package: Path) -> set[str]:
    """Rule ids the code names: ``rule="x"``, ``rule = "x"``, ``RULES.finding("x", ...)``."""
    found: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value: ast.expr | None
            if isinstance(node, ast.keyword) and node.arg == "rule":
                value = node.value
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "finding":
                value = node.args[0] if node.args else None
            elif isinstance(node, ast.Assign):
                target, value = node.targets[0], node.value
                if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                    names = [getattr(t, "id", None) for t in target.elts]
                    value = value.elts[names.index("rule")] if "rule" in names else None
                elif getattr(target, "id", None) != "rule":
                    value = None
            else:
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(value.value)
    return found


def test_every_reported_rule_is_catalogued() -> None:
    named = rule_ids_in_source(PACKAGE)
    assert "vulnerable-dependency" in named and "license-unknown" in named
    assert named <= set(RULES.rules), named - set(RULES.rules)
    assert set(RULES.rules) <= named, set(RULES.rules) - named


def test_rule_docs_are_current() -> None:
    page = REPO / "docs" / "rules" / "dependency-scan.md"
    assert page.read_text(encoding="utf-8") == render_markdown(RULES, "dependency-scan")


def test_help_is_a_catalogue_url() -> None:
    assert RULES.help_url("parse-error").endswith("docs/rules/dependency-scan.md#parse-error")
