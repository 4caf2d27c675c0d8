"""artifact-validate's rule catalogue names every rule the gate can report."""

from __future__ import annotations

import ast
from pathlib import Path

from qualgate.gates.artifact_validate import gate
from qualgate.gates.artifact_validate.rules import RULES
from qualgate.rules import render_markdown
from tests.support import REPO

PACKAGE = Path(gate.__file__).parent


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def rule_ids_in_source(package: Path) -> set[str]:
    """Rule ids the code names: the first argument of ``*finding(...)`` calls, values of
    ``*rule`` parameters and arguments, and the rule a link check returns (links.py)."""
    found: set[str | None] = set()
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name.endswith("finding") and node.args:
                    found.add(_text(node.args[0]))
            elif isinstance(node, ast.keyword) and (node.arg or "").endswith("rule"):
                found.add(_text(node.value))
            elif isinstance(node, ast.arguments):
                positional = [*node.posonlyargs, *node.args]
                with_default = positional[len(positional) - len(node.defaults) :]
                pairs = [
                    *zip(with_default, node.defaults, strict=True),
                    *zip(node.kwonlyargs, node.kw_defaults, strict=True),
                ]
                found |= {_text(d) for a, d in pairs if a.arg.endswith("rule")}
            elif (
                path.name == "links.py"
                and isinstance(node, ast.Return)
                and isinstance(node.value, ast.Tuple)
                and node.value.elts
            ):
                found.add(_text(node.value.elts[0]))
    return {rule for rule in found if rule is not None}


def test_every_reported_rule_is_catalogued() -> None:
    named = rule_ids_in_source(PACKAGE)
    assert {"broken-anchor", "verdict-schema", "glob-no-match", "unreadable"} <= named
    assert named <= set(RULES.rules), named - set(RULES.rules)
    assert set(RULES.rules) <= named, set(RULES.rules) - named


def test_rule_docs_are_current() -> None:
    page = REPO / "docs" / "rules" / "artifact-validate.md"
    assert page.read_text(encoding="utf-8") == render_markdown(RULES, "artifact-validate")
