"""The pin policy: requirements without an exact version, or not from a registry at all."""

from __future__ import annotations

from collections.abc import Sequence

from qualgate.gates.dependency_scan.findings import Outcome, marker_note, where
from qualgate.gates.dependency_scan.model import Dependency, PinKind
from qualgate.gates.dependency_scan.rules import RULES
from qualgate.verdict import Check, Finding, Severity, Status, plural

# Sources whose pins cover a range requirement of the same package elsewhere.
_LOCKING_SOURCES = frozenset(
    {
        "constraints",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "pylock.toml",
        "pdm.lock",
        "package-lock.json",
        "installed",
    }
)


def check(deps: Sequence[Dependency], require_pins: bool) -> Outcome:
    """A finding per requirement no lock or pin elsewhere covers; errors with ``require_pins``."""
    locked = {d.key for d in deps if d.kind is PinKind.PINNED and d.source in _LOCKING_SOURCES}
    pinned_anywhere = {d.key for d in deps if d.kind is PinKind.PINNED}
    pin_severity = Severity.ERROR if require_pins else Severity.WARNING
    findings: list[Finding] = []
    count = 0
    for dep in deps:
        if dep.kind is PinKind.RANGE:
            if dep.source == "constraints":
                continue  # a range in a constraints file only narrows, it installs nothing
            if not dep.application:
                if dep.key in pinned_anywhere:
                    continue
                severity = Severity.NOTE  # library metadata: ranges are expected there
            elif dep.key in locked:
                continue
            else:
                severity = pin_severity
            spec = dep.specifier or "any version"
            message = (
                f"{dep.name} is not pinned ({spec}){marker_note(dep)}: "
                "its installed version cannot be checked for vulnerabilities"
            )
            rule = "unpinned-dependency"
        elif dep.kind is PinKind.UNSCANNABLE:
            severity = pin_severity
            message = (
                f"{dep.name} comes from {dep.detail}: not a registry release, "
                "so it cannot be checked against the vulnerability database"
            )
            rule = "unscannable-dependency"
        else:
            continue
        count += severity is not Severity.NOTE
        findings.append(
            RULES.finding(
                rule,
                message,
                severity=severity,
                **where(dep),
                check="pins",
                data={"package": dep.name, "specifier": dep.specifier, "source": dep.source},
            )
        )
    return Outcome(
        findings=tuple(findings),
        check=Check(
            name="pins",
            status=Status.FAIL if require_pins and count else Status.PASS,
            findings=count,
            summary=f"{plural(count, 'requirement')} without an exact pin",
        ),
    )
