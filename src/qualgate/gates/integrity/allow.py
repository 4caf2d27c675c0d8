"""The allow list: ``allow = [{rule, path, reason}]`` in ``[tool.qualgate.integrity]``.

An allowed finding stays in the verdict as a note naming its reason, so a reviewer sees
every allowance; it no longer decides the status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from qualgate.gates.integrity.pyguards import matches
from qualgate.gates.integrity.rules import RULES
from qualgate.verdict import Finding, Severity

_EXPECTS = (
    "expects a list of tables {rule, path, reason}: rule an integrity rule id, path a file "
    "or glob, reason why the change is right"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Allowance:
    rule: str
    path: str
    reason: str


def parse_allow(value: Any) -> tuple[Allowance, ...]:
    """The allow option's value, checked (raises ValueError naming what it expects)."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise ValueError(_EXPECTS)
    out: list[Allowance] = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"rule", "path", "reason"}:
            raise ValueError(_EXPECTS)
        rule, path, reason = item.get("rule"), item.get("path"), item.get("reason")
        if not isinstance(rule, str) or rule not in RULES:
            raise ValueError(f"{_EXPECTS}; unknown rule {rule!r}")
        if not isinstance(path, str) or not path.strip():
            raise ValueError(f"{_EXPECTS}; {rule}: a path is required")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{_EXPECTS}; {rule} at {path}: a reason is required")
        out.append(Allowance(rule=rule, path=path.strip(), reason=" ".join(reason.split())))
    return tuple(out)


def _allowed_by(finding: Finding, allowances: Iterable[Allowance]) -> Allowance | None:
    for a in allowances:
        if a.rule == finding.rule and finding.path is not None and matches(finding.path, [a.path]):
            return a
    return None


def apply_allowances(findings: Sequence[Finding], allowances: Sequence[Allowance]) -> list[Finding]:
    out: list[Finding] = []
    for f in findings:
        allowance = _allowed_by(f, allowances) if f.severity is Severity.ERROR else None
        if allowance is None:
            out.append(f)
            continue
        out.append(
            dataclasses.replace(
                f,
                severity=Severity.NOTE,
                message=f"allowed ({allowance.reason}): {f.message}",
                data={**f.data, "allowed": allowance.reason},
            )
        )
    return out
