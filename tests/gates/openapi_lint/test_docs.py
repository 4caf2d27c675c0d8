"""The rule reference and gate docs are in step with the catalogue."""

from __future__ import annotations

from qualgate.gates.openapi_lint.gate import OPTIONS
from qualgate.gates.openapi_lint.rules import CHECK_OF, RULES
from qualgate.gates.openapi_lint.rules.ruleset import ALL_VERSIONS, CHECKS
from qualgate.rules import render_markdown
from tests.support import REPO


def test_committed_rule_reference_is_the_generated_one() -> None:
    committed = (REPO / "docs" / "rules" / "openapi-lint.md").read_text(encoding="utf-8")
    assert committed == render_markdown(RULES, "openapi-lint"), (
        "docs/rules/openapi-lint.md is stale: regenerate it with "
        "`qualgate.rules.render_markdown(RULES, 'openapi-lint')`"
    )


def test_every_rule_has_a_rationale_and_a_known_phase() -> None:
    for rule in RULES:
        assert rule.rationale.endswith(".") and len(rule.rationale) > 20, rule.id
        assert CHECK_OF[rule.id] in (
            "load",
            "refs",
            "structure",
            "rules",
            "breaking",
            "contract",
        ), rule.id


def test_every_ruleset_rule_has_a_check_and_every_check_a_rule() -> None:
    catalogued = [rule.id for rule in RULES if CHECK_OF[rule.id] == "rules"]
    assert list(CHECKS) == catalogued
    assert all(check.id == key for key, check in CHECKS.items())


def test_gate_doc_names_every_option() -> None:
    doc = (REPO / "docs" / "gates" / "openapi-lint.md").read_text(encoding="utf-8")
    for option in OPTIONS:
        assert f"`{option.name}`" in doc or f"--{option.name}" in doc, option.name


def test_gate_doc_names_the_always_on_and_version_limited_rules() -> None:
    doc = (REPO / "docs" / "gates" / "openapi-lint.md").read_text(encoding="utf-8")
    always_on = doc.split("Always on", 1)[1].split("\n\n", 1)[0]
    assert {r.id for r in RULES if not r.configurable} == {
        r.id for r in RULES if f"`{r.id}`" in always_on
    }
    some_versions = doc.split("For some versions only", 1)[1].split("\n\n", 1)[0]
    limited = {c.id for c in CHECKS.values() if c.versions != ALL_VERSIONS}
    assert limited == {r.id for r in RULES if f"`{r.id}`" in some_versions}
