"""The built-in ruleset: importing this package registers every rule in `RULES`.

The breaking-change finding ids live with the comparison (`breaking`); importing it
registers them too, so --list-rules and the config check see one list.
"""

from __future__ import annotations

from qualgate.gates.openapi_lint import breaking
from qualgate.gates.openapi_lint.rules import document, operations, schemas
from qualgate.gates.openapi_lint.rules.registry import RULES, Rule

__all__ = ["RULES", "Rule", "breaking", "document", "operations", "schemas"]
