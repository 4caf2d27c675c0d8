"""The pin policy: requirements without an exact version, or not from a registry at all."""

from __future__ import annotations

from collections.abc import Sequence

from qualgate.gates.dependency_scan.findings import Outcome, marker_note, where
from qualgate.gates.dependency_scan.model import Inputs, PinKind
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


def check(inputs: Inputs, require_pins: bool) -> Outcome:
    """A finding per requirement no lock or pin elsewhere covers; errors with ``require_pins``.

    A project with a lock file is judged by the lock: the ranges of its ``pyproject.toml``
    are what the lock resolved, so they are reported only when the lock lacks them (it is
    out of date). Without a lock they are notes: library metadata holds ranges by design.
    """
    deps = inputs.dependencies
    locked = {d.key for d in deps if d.kind is PinKind.PINNED and d.source in _LOCKING_SOURCES}
    pinned_anywhere = {d.key for d in deps if d.kind is PinKind.PINNED}
    in_lock = inputs.locked | ({inputs.project} if inputs.project else set())
    pin_severity = Severity.ERROR if require_pins else Severity.WARNING
    findings: list[Finding] = []
    covered = 0  # ranges a lock or a pin elsewhere resolves
    for dep in deps:
        rule = "unpinned-dependency"
        if (
            inputs.locks
            and not dep.application
            and dep.source == "pyproject"
            and (dep.key in in_lock or dep.kind is PinKind.PINNED)
        ):
            covered += dep.kind is PinKind.RANGE
            continue
        if (
            inputs.locks
            and not dep.application
            and dep.source == "pyproject"
            and not dep.dev  # dev groups a workspace root (or `--prod`) may not lock: below
        ):
            lock = inputs.locks[0]
            severity = Severity.WARNING
            message = (
                f"{dep.name} is declared in {dep.path} but {lock} does not lock it: the lock "
                "is out of date, so the version that gets installed is not checked"
            )
            rule = "lock-outdated"
        elif dep.kind is PinKind.RANGE:
            if dep.source == "constraints":
                continue  # a range in a constraints file only narrows, it installs nothing
            if not dep.application:
                if dep.key in pinned_anywhere:
                    covered += 1
                    continue
                severity = Severity.NOTE  # library metadata: ranges are expected there
            elif dep.key in locked:
                covered += 1
                continue
            else:
                severity = pin_severity
            spec = dep.specifier or "any version"
            message = (
                f"{dep.name} is not pinned ({spec}){marker_note(dep)}: "
                "its installed version cannot be checked for vulnerabilities"
            )
        elif dep.kind is PinKind.UNSCANNABLE:
            severity = pin_severity
            message = (
                f"{dep.name} comes from {dep.detail}: not a registry release, "
                "so it cannot be checked against the vulnerability database"
            )
            rule = "unscannable-dependency"
        else:
            continue
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
    blocking = sum(1 for f in findings if f.severity is Severity.ERROR)
    return Outcome(
        findings=tuple(findings),
        check=Check(
            name="pins",
            status=Status.FAIL if blocking else Status.PASS,
            findings=len(findings),
            summary=summary(findings, covered, inputs.locks),
        ),
        checked=covered,
    )


def summary(findings: Sequence[Finding], covered: int = 0, locks: Sequence[str] = ()) -> str:
    """What the pins check found, counting every finding it reports (notes too)."""
    if not findings:
        text = "every requirement is pinned to an exact version"
        if covered:
            by = f"by {', '.join(locks)}" if locks else "by pins elsewhere"
            text += f" ({plural(covered, 'range')} resolved {by})"
        return text
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    parts = []
    unpinned = [f for f in findings if f.rule == "unpinned-dependency"]
    if unpinned:
        notes = sum(1 for f in unpinned if f.severity is Severity.NOTE)
        text = plural(len(unpinned), "requirement") + " without an exact pin"
        if notes == len(unpinned):
            text += " (ranges in library metadata: notes)"
        elif notes:
            text += f" ({notes} of them ranges in library metadata: notes)"
        parts.append(text)
    if counts.get("unscannable-dependency"):
        parts.append(
            plural(counts["unscannable-dependency"], "requirement") + " not from a registry"
        )
    if counts.get("lock-outdated"):
        parts.append(
            plural(counts["lock-outdated"], "declared dependency", "declared dependencies")
            + " missing from the lock"
        )
    return "; ".join(parts)
