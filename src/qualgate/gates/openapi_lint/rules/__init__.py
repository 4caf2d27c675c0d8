"""openapi-lint's rule catalogue: every rule id it reports, its default severity and why.

`RULES` drives ``--list-rules``, SARIF rule metadata and ``docs/rules/openapi-lint.md``;
`CHECK_OF` names the verdict check (phase) that reports each id. The rules of each phase
are declared in its own module (``phase_*``); the functions of the document-walking
rules are listed in `ruleset`. This package imports none of them, so reading the
catalogue stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping

from qualgate.gates.openapi_lint.rules.phase_breaking import BREAKING
from qualgate.gates.openapi_lint.rules.phase_contract import CONTRACT
from qualgate.gates.openapi_lint.rules.phase_lint import RULESET
from qualgate.gates.openapi_lint.rules.phase_load import LOAD, REFS, STRUCTURE
from qualgate.rules import catalogue

RULES = catalogue("openapi-lint", *LOAD, *REFS, *STRUCTURE, *RULESET, *BREAKING, *CONTRACT)

# Rule id -> the check (phase) of the verdict that reports it.
CHECK_OF: Mapping[str, str] = {
    rule.id: check
    for check, rules in (
        ("load", LOAD),
        ("refs", REFS),
        ("structure", STRUCTURE),
        ("rules", RULESET),
        ("breaking", BREAKING),
        ("contract", CONTRACT),
    )
    for rule in rules
}

# Documentation rules lowered to notes on a spec generated from the app (unless the
# configuration names them): a framework's default output (no servers, no top-level
# tags, operations without descriptions) is what a default app looks like, and the fix
# is in the code, not in a document someone maintains.
GENERATED_NOTES = frozenset(
    (
        "servers-defined",
        "info-description",
        "operation-description",
        "operation-summary",
        "operation-4xx-response",
        "operation-tag-defined",
        "components-unused",
    )
)
