"""The rule registry: every finding id of the gate, its default severity and rationale.

Rules that walk the document register themselves with the `rule` decorator; ids that
other phases produce (loading, refs, structure, breaking changes) are declared here,
so ``--list-rules``, the config check and ``docs/openapi-rules.md`` see one list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualgate.verdict import Severity

if TYPE_CHECKING:
    from qualgate.gates.openapi_lint.issues import Issue
    from qualgate.gates.openapi_lint.model import Spec

CheckFn = Callable[["Spec"], Iterable["Issue"]]

ALL_VERSIONS = ("2.0", "3.0", "3.1", "3.2")


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    """One finding id: what it means and how much it matters by default."""

    id: str
    severity: Severity
    rationale: str
    phase: str
    versions: tuple[str, ...] = ALL_VERSIONS
    # False for findings that mean the document could not be checked at all: turning
    # them off would let the gate pass a document it never read.
    configurable: bool = True
    check: CheckFn | None = None


RULES: dict[str, Rule] = {}


def _declare(rule: Rule) -> None:
    if rule.id in RULES:  # pragma: no cover - a programming error caught by the tests
        raise ValueError(f"duplicate rule id {rule.id}")
    RULES[rule.id] = rule


def rule(
    id: str,
    severity: Severity,
    rationale: str,
    versions: tuple[str, ...] = ALL_VERSIONS,
) -> Callable[[CheckFn], CheckFn]:
    """Register a document-walking rule."""

    def wrap(fn: CheckFn) -> CheckFn:
        _declare(
            Rule(
                id=id,
                severity=severity,
                rationale=rationale,
                phase="rules",
                versions=versions,
                check=fn,
            )
        )
        return fn

    return wrap


E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

for _id, _sev, _why, _conf in (
    ("yaml-syntax", E, "The file is not valid YAML, so nothing in it can be checked.", False),
    ("json-syntax", E, "The file is not valid JSON, so nothing in it can be checked.", False),
    (
        "yaml-alias-bomb",
        E,
        "Aliases that expand exponentially (a 'billion laughs' bomb) or refer to themselves "
        "exhaust every tool that reads the file.",
        False,
    ),
    ("document-too-large", E, "Files over the size limit are refused, not half-read.", False),
    ("document-unreadable", E, "The file cannot be read.", False),
    ("document-encoding", E, "OpenAPI documents are UTF-8 text.", False),
    (
        "yaml-unsupported-tag",
        E,
        "Only the YAML core schema is safe; custom and language tags (!!python/object) "
        "mean different things to different tools.",
        True,
    ),
    (
        "yaml-duplicate-key",
        E,
        "YAML forbids duplicate keys and parsers disagree on which value wins.",
        True,
    ),
    ("yaml-complex-key", E, "Mapping keys must be plain strings in OpenAPI.", True),
    (
        "ref-unresolved",
        E,
        "A $ref that points nowhere makes the description incomplete for every consumer.",
        False,
    ),
    (
        "ref-outside-root",
        E,
        "A $ref to a file outside the project cannot be reviewed or reproduced, and is never read.",
        False,
    ),
    (
        "ref-remote",
        E,
        "A remote $ref is not fetched unless --allow-remote-refs is given, so what it "
        "points at is not checked: the gate will not pass what it did not read (lower it "
        "to a warning in config to accept that).",
        True,
    ),
    (
        "oas-version",
        E,
        "The document must declare `openapi: 3.x.y` or `swagger: '2.0'` to be checked.",
        False,
    ),
    (
        "oas-structure",
        E,
        "The document must be valid against its version's official OpenAPI JSON Schema "
        "(and its schemas valid JSON Schema), as openapi-spec-validator requires.",
        False,
    ),
):
    _declare(Rule(id=_id, severity=_sev, rationale=_why, phase="load", configurable=_conf))
