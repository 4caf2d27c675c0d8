"""The built-in ruleset: importing this package registers every rule in `RULES`."""

from __future__ import annotations

from qualgate.gates.openapi.rules import document, operations, schemas
from qualgate.gates.openapi.rules.registry import RULES, Rule

# The breaking-change finding ids live with the comparison; importing it registers them.
from qualgate.gates.openapi import breaking  # noqa: E402, I001

__all__ = ["RULES", "Rule", "document", "operations", "schemas"]
