"""The one rule catalogue shape every gate uses.

A gate's ``rules`` module holds ``RULES: Catalogue``: every rule id it can report, with
its default severity, a one-line rationale, and a help URL. ``--list-rules``, SARIF rule
metadata, ``qualgate explain`` and ``docs/rules/<gate>.md`` are all made from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from qualgate.verdict import Finding, Severity

# Where the rules are published: one page per gate, one anchor per rule.
DOCS_URL = "https://github.com/qualgate/qualgate/blob/main/docs/rules/{gate}.md#{anchor}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    """One finding id: what it means, how much it matters by default, how to fix it."""

    id: str
    severity: Severity
    rationale: str
    # The fix, in one line, when there is a general one.
    fix: str | None = None
    # A page outside qualgate's docs that documents the rule (a tool's own rule page).
    url: str | None = None
    # False for findings that mean the input could not be checked at all: turning them
    # off would let the gate pass what it never read.
    configurable: bool = True
    # For security rules (a leaked secret): 0.0-10.0, how GitHub code scanning ranks them.
    security_severity: float | None = None


def anchor(rule_id: str) -> str:
    """The GitHub heading slug of a rule's section (``## `rule-id` ``)."""
    return "".join(ch for ch in rule_id.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every rule of one gate, by id."""

    gate: str
    rules: Mapping[str, Rule] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        return self.rules.get(rule_id)

    def help_url(self, rule_id: str) -> str:
        """The rule's own page, or its section of the gate's rule docs."""
        rule = self.rules.get(rule_id)
        if rule is not None and rule.url:
            return rule.url
        return DOCS_URL.format(gate=self.gate, anchor=anchor(rule_id))

    def finding(
        self, rule_id: str, message: str, *, severity: Severity | None = None, **fields: Any
    ) -> Finding:
        """A finding of a catalogued rule, with its default severity and help URL."""
        rule = self.rules[rule_id]
        fields.setdefault("help", self.help_url(rule_id))
        return Finding(rule=rule_id, severity=severity or rule.severity, message=message, **fields)


def catalogue(gate: str, *rules: Rule) -> Catalogue:
    """A catalogue from rules; a duplicate id is a programming error."""
    by_id: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in by_id:
            raise ValueError(f"{gate}: duplicate rule id {rule.id}")
        by_id[rule.id] = rule
    return Catalogue(gate, by_id)


def render_markdown(cat: Catalogue, title: str) -> str:
    """``docs/rules/<gate>.md``: one section per rule (generated; a test keeps it current)."""
    lines = [
        f"# {title}: rules",
        "",
        f"Generated from `{cat.gate}`'s rule catalogue. Every rule's default severity can be",
        "changed in config where the gate offers it.",
        "",
    ]
    for rule in sorted(cat, key=lambda r: r.id):
        always = "" if rule.configurable else " Always on: it cannot be turned off."
        lines += [
            f"## `{rule.id}`",
            "",
            f"Default severity: **{rule.severity.value}**.{always}",
            "",
        ]
        lines += [rule.rationale, ""]
        if rule.fix:
            lines += [f"Fix: {rule.fix}", ""]
        if rule.url:
            lines += [f"More: <{rule.url}>", ""]
    return "\n".join(lines).rstrip() + "\n"
