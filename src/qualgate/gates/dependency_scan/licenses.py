"""The license policy: allow/deny lists (SPDX) against installed metadata and npm locks."""

from __future__ import annotations

from collections.abc import Sequence

from qualgate.gates.dependency_scan.findings import Outcome, where
from qualgate.gates.dependency_scan.model import Dependency
from qualgate.gates.dependency_scan.policy import check_license
from qualgate.gates.dependency_scan.rules import RULES
from qualgate.verdict import Check, Finding, Severity, Status, plural

# Sources that carry license data.
_LICENSE_SOURCES = frozenset({"installed", "package-lock.json"})


def check(
    dependencies: Sequence[Dependency], allow: Sequence[str], deny: Sequence[str]
) -> Outcome | None:
    """Findings for licenses outside the policy; None when no policy is set."""
    if not allow and not deny:
        return None
    bearing = [d for d in dependencies if d.licenses or d.source in _LICENSE_SOURCES]
    if not bearing:
        return Outcome(
            findings=(),
            check=Check(
                name="licenses",
                status=Status.ERROR,
                summary="license-allow/license-deny are set but no scanned input carries "
                "license data",
            ),
            next_steps=(
                "add --installed (installed metadata) or scan a package-lock.json to check "
                "licenses",
            ),
        )
    findings: list[Finding] = []
    errors = 0
    for dep in bearing:
        result = check_license(dep.licenses, allow, deny)
        if result.outcome == "ok":
            continue
        if result.outcome == "unknown":
            rule, severity = "license-unknown", Severity.WARNING
            text = (
                f"{dep.name} {dep.version or ''}: license "
                f"{result.expression or 'not declared'} cannot be judged against the "
                "license policy"
            )
        elif result.outcome == "denied":
            rule, severity = "license-denied", Severity.ERROR
            text = f"{dep.name} {dep.version or ''} is licensed {result.expression}: denied"
        else:
            rule, severity = "license-not-allowed", Severity.ERROR
            text = (
                f"{dep.name} {dep.version or ''} is licensed {result.expression}: "
                "not in license-allow"
            )
        errors += severity is Severity.ERROR
        findings.append(
            RULES.finding(
                rule,
                text,
                severity=severity,
                **where(dep),
                check="licenses",
                data={
                    "package": dep.name,
                    "version": dep.version,
                    "license": result.expression,
                    "offending": list(result.offending),
                },
            )
        )
    return Outcome(
        findings=tuple(findings),
        check=Check(
            name="licenses",
            status=Status.FAIL if errors else Status.PASS,
            findings=errors,
            summary=f"{plural(len(bearing), 'package')} checked against the license policy",
        ),
        checked=len(bearing),
    )
