"""The rule reference and gate docs are in step with the registry."""

from __future__ import annotations

from qualgate.gates.openapi_lint import OPTIONS
from qualgate.gates.openapi_lint.rules import RULES
from qualgate.gates.openapi_lint.rules.reference import render
from tests.support import REPO


def test_committed_rule_reference_is_the_generated_one() -> None:
    committed = (REPO / "docs" / "openapi-rules.md").read_text(encoding="utf-8")
    assert committed == render(), (
        "docs/openapi-rules.md is stale: run "
        "`python -m qualgate.gates.openapi_lint.rules.reference > docs/openapi-rules.md`"
    )


def test_every_rule_has_a_rationale_and_a_known_phase() -> None:
    for rule in RULES.values():
        assert rule.rationale.endswith(".") and len(rule.rationale) > 20, rule.id
        assert rule.phase in ("load", "rules", "breaking"), rule.id


def test_gate_doc_names_every_option() -> None:
    doc = (REPO / "docs" / "gates" / "openapi-lint.md").read_text(encoding="utf-8")
    for option in OPTIONS:
        assert f"`{option.name}`" in doc or f"--{option.name}" in doc, option.name
