"""``docs/openapi-rules.md``, generated from the rule registry.

Regenerate with ``python -m qualgate.gates.openapi_lint.rules.reference > docs/openapi-rules.md``;
a test fails when the committed file differs from what this renders.
"""

from __future__ import annotations

import sys

from qualgate.gates.openapi_lint.rules import RULES
from qualgate.gates.openapi_lint.rules.registry import Rule

_PHASES = (
    ("load", "Loading, references and structure"),
    ("rules", "Built-in ruleset"),
    ("breaking", "Breaking changes (`--base REF` / `--against FILE`)"),
)


def _versions(rule: Rule) -> str:
    known = ("2.0", "3.0", "3.1", "3.2")
    if set(known) <= set(rule.versions):
        return "all"
    return ", ".join(v for v in rule.versions if v in known)


def render() -> str:
    """The markdown reference of every rule."""
    out = [
        "# openapi-lint rules",
        "",
        "Generated from the rule registry (`qualgate.gates.openapi_lint.rules`) by",
        "`python -m qualgate.gates.openapi_lint.rules.reference`; do not edit by hand.",
        "`qualgate openapi-lint --list-rules` prints the same list.",
        "",
        "Change a severity or turn a rule off in config:",
        "",
        "```toml",
        "[tool.qualgate.openapi-lint]",
        'rules = {operation-description = "off", operation-4xx-response = "note"}',
        "```",
        "",
        "Rules marked *always on* mean the document could not be read or checked at all;",
        "they cannot be turned off or lowered.",
        "",
    ]
    for phase, title in _PHASES:
        out += [
            f"## {title}",
            "",
            "| rule | severity | versions | rationale |",
            "|---|---|---|---|",
        ]
        for rule in RULES.values():
            if rule.phase != phase:
                continue
            severity = rule.severity.value + ("" if rule.configurable else " (always on)")
            rationale = rule.rationale.replace("|", "\\|")
            out.append(f"| `{rule.id}` | {severity} | {_versions(rule)} | {rationale} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    sys.stdout.write(render())
