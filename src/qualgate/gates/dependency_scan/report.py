"""Turning inputs, lookups and policies into findings, checks, next steps and a summary."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from qualgate.context import GateContext
from qualgate.gates.dependency_scan import licenses
from qualgate.gates.dependency_scan.findings import (
    HELP,
    config_location,
    existing,
    inside_project,
    marker_note,
    matching_name,
    package_ref,
    upgrade_step,
    where,
)
from qualgate.gates.dependency_scan.lookup import Lookup, Match, dep_key
from qualgate.gates.dependency_scan.model import Dependency, Inputs, PinKind
from qualgate.gates.dependency_scan.policy import Ignore, blocks
from qualgate.verdict import (
    Check,
    Finding,
    Severity,
    Status,
    Verdict,
    derive_status,
    plural,
)

GATE = "dependency-scan"
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


@dataclass(kw_only=True)
class Report:
    """Builds the verdict; also exposes what the SBOM needs (``vulns_by_package``)."""

    ctx: GateContext
    inputs: Inputs
    lookup: Lookup | None
    ignores: tuple[Ignore, ...]
    threshold: str
    unknown: str
    require_pins: bool
    allow: tuple[str, ...]
    deny: tuple[str, ...]
    today: dt.date
    inputs_ms: int
    findings: list[Finding] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    vulns_by_package: dict[str, list[str]] = field(default_factory=dict)
    _used_ignores: set[int] = field(default_factory=set)

    # -- phases -------------------------------------------------------------

    def _inputs(self) -> None:
        blocking = 0
        for problem in self.inputs.problems:
            severity = (
                Severity.ERROR
                if problem.blocking
                else Severity.NOTE
                if problem.note
                else Severity.WARNING
            )
            blocking += problem.blocking
            self.findings.append(
                Finding(
                    rule=problem.rule,
                    severity=severity,
                    message=problem.message,
                    path=problem.path,
                    line=problem.line,
                    check="inputs",
                    help=HELP.get(problem.rule),
                )
            )
        deps = self.inputs.dependencies
        self.checks.append(
            Check(
                name="inputs",
                status=Status.FAIL if blocking else Status.PASS,
                duration_ms=self.inputs_ms,
                findings=len(self.inputs.problems),
                summary=f"{plural(len(deps), 'dependency', 'dependencies')} "
                f"in {plural(len(self.inputs.files), 'file')}",
            )
        )

    def _pins(self) -> None:
        deps = self.inputs.dependencies
        locked = {d.key for d in deps if d.kind is PinKind.PINNED and d.source in _LOCKING_SOURCES}
        pinned_anywhere = {d.key for d in deps if d.kind is PinKind.PINNED}
        pin_severity = Severity.ERROR if self.require_pins else Severity.WARNING
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
            self.findings.append(
                Finding(
                    rule=rule,
                    severity=severity,
                    message=message,
                    **where(dep),
                    check="pins",
                    help=HELP[rule],
                    data={"package": dep.name, "specifier": dep.specifier, "source": dep.source},
                )
            )
        self.checks.append(
            Check(
                name="pins",
                status=Status.FAIL if self.require_pins and count else Status.PASS,
                findings=count,
                summary=f"{plural(count, 'requirement')} without an exact pin",
            )
        )

    def _ignored_by(self, match: Match, dep: Dependency) -> Ignore | None:
        for index, ignore in enumerate(self.ignores):
            if ignore.id not in match.ids:
                continue
            if ignore.package and matching_name(ignore.package, dep) is False:
                continue
            self._used_ignores.add(index)
            if ignore.expired(self.today):
                continue  # reported as ignore-expired; the advisory counts again
            return ignore
        return None

    def _vulnerabilities(self) -> None:
        pinned = [d for d in self.inputs.dependencies if d.kind is PinKind.PINNED]
        lookup = self.lookup
        if lookup is None and not self.inputs.dependencies:
            return  # only unreadable files: their parse errors already fail the gate
        if lookup is None:
            self.checks.append(
                Check(
                    name="vulnerabilities",
                    status=Status.ERROR,
                    summary="no dependency names an exact version: nothing could be checked",
                )
            )
            self.next_steps.append(
                "pin versions (a lock file or pip-compile output), or scan the environment "
                "with --installed"
            )
            return
        ignored: list[dict[str, Any]] = []
        affected: dict[tuple[str, str, str], list[Match]] = defaultdict(list)
        places: dict[tuple[str, str, str], list[Dependency]] = defaultdict(list)
        blocking = vulnerable_deps = 0
        for dep in pinned:
            key = dep_key(dep)
            if key in lookup.unchecked:
                continue
            found = False
            for match in lookup.matches.get(key, ()):
                ignore = self._ignored_by(match, dep)
                if ignore is not None:
                    ignored.append(
                        {
                            "id": match.id,
                            "package": dep.name,
                            "version": dep.version,
                            "reason": ignore.reason,
                            "until": ignore.until.isoformat() if ignore.until else None,
                            "path": dep.path,
                            "line": dep.line,
                        }
                    )
                    continue
                found = True
                if match not in affected[key]:
                    affected[key].append(match)
                finding = self._vuln_finding(dep, match)
                blocking += finding.severity is Severity.ERROR
                self.findings.append(finding)
                ids = self.vulns_by_package.setdefault(package_ref(dep), [])
                if match.id not in ids:
                    ids.append(match.id)
            if found:
                vulnerable_deps += 1
                places[key].append(dep)
        for key, matches in affected.items():
            self.next_steps.append(upgrade_step(key, matches, places[key]))
        unchecked = [d for d in pinned if dep_key(d) in lookup.unchecked]
        checked = len(pinned) - len(unchecked)
        vulns = sum(len(m) for m in affected.values())
        if vulns:
            summary = (
                f"{plural(vulns, 'known vulnerability', 'known vulnerabilities')} in "
                f"{plural(len(affected), 'package')}; {checked} of {len(pinned)} pinned "
                f"dependencies checked against {lookup.source}"
            )
        else:
            what = plural(checked, "pinned dependency", "pinned dependencies")
            summary = f"no known vulnerabilities in {what}, checked against {lookup.source}"
        status = Status.FAIL if blocking else Status.PASS
        if unchecked:
            status = Status.ERROR
            reasons = sorted({lookup.unchecked[dep_key(d)] for d in unchecked})
            summary = (
                f"{len(unchecked)} of {len(pinned)} pinned dependencies could not be checked "
                f"({reasons[0]})"
            )
            if checked:
                summary += (
                    f"; {plural(vulns, 'known vulnerability', 'known vulnerabilities')} in the "
                    f"{checked} checked"
                )
            self.metrics["unchecked"] = sorted({d.display for d in unchecked})[:50]
            self.next_steps.insert(
                0,
                "use an offline database (--vuln-db PATH, e.g. an OSV PyPI.zip) or retry when "
                "the OSV API is reachable",
            )
        self.metrics.update(
            {
                "vulnerabilities": vulns,
                "vulnerable_packages": len(affected),
                "vulnerable_occurrences": vulnerable_deps,
                "checked": checked,
                "unchecked_count": len(unchecked),
                "vuln_source": lookup.source,
                "advisory_records": lookup.records,
                "index_cached": lookup.cached,
            }
        )
        if lookup.requests:
            self.metrics["osv_requests"] = lookup.requests
        if ignored:
            self.metrics["ignored"] = ignored
        for note in lookup.notes:
            self.findings.append(
                Finding(
                    rule="vuln-db-unreadable",
                    severity=Severity.WARNING,
                    message=note,
                    check="vulnerabilities",
                    help=HELP["vuln-db-unreadable"],
                )
            )
        self.checks.append(
            Check(
                name="vulnerabilities",
                status=status,
                duration_ms=lookup.duration_ms,
                findings=sum(1 for f in self.findings if f.rule == "vulnerable-dependency"),
                summary=summary,
            )
        )

    def _vuln_finding(self, dep: Dependency, match: Match) -> Finding:
        fails = blocks(match.severity, self.threshold, self.unknown)
        score = f" {match.score:.1f}" if match.score is not None else ""
        aliases = f" ({', '.join(match.aliases)})" if match.aliases else ""
        fixed = f"fixed in {', '.join(match.fixed)}" if match.fixed else "no fixed version known"
        message = (
            f"{dep.name} {dep.version} is affected by {match.id}{aliases}"
            f"{': ' + match.summary if match.summary else ''} "
            f"[severity {match.severity}{score}; {fixed}]{marker_note(dep)}"
        )
        return Finding(
            rule="vulnerable-dependency",
            severity=Severity.ERROR if fails else Severity.WARNING,
            message=message,
            **where(dep),
            check="vulnerabilities",
            help=match.url or HELP["vulnerable-dependency"],
            data={
                "package": dep.name,
                "version": dep.version,
                "ecosystem": dep.ecosystem.value,
                "id": match.id,
                "aliases": list(match.aliases),
                "summary": match.summary,
                "severity": match.severity,
                "score": match.score,
                "vector": match.vector,
                "fixed_versions": list(match.fixed),
                "source": dep.source,
                "marker": dep.marker,
                "location": f"{dep.path}:{dep.line}" if dep.line else dep.path,
            },
        )

    def _ignore_hygiene(self) -> None:
        checked_all = self.lookup is not None and not self.lookup.unchecked
        for index, ignore in enumerate(self.ignores):
            path, line = config_location(self.ctx, ignore.id)
            if ignore.expired(self.today):
                self.findings.append(
                    Finding(
                        rule="ignore-expired",
                        severity=Severity.ERROR,
                        message=f"the ignore of {ignore.id} expired on {ignore.until} "
                        f"({ignore.reason}): fix the dependency or renew the ignore with a "
                        "new date and reason",
                        path=path,
                        line=line,
                        check="policy",
                        help=HELP["ignore-expired"],
                        data={"id": ignore.id, "until": str(ignore.until)},
                    )
                )
            elif index not in self._used_ignores and checked_all:
                self.findings.append(
                    Finding(
                        rule="ignore-unused",
                        severity=Severity.NOTE,
                        message=f"the ignore of {ignore.id} matches no scanned dependency: "
                        "remove it",
                        path=path,
                        line=line,
                        check="policy",
                        help=HELP["ignore-unused"],
                        data={"id": ignore.id},
                    )
                )

    def _licenses(self) -> None:
        outcome = licenses.check(self.inputs.dependencies, self.allow, self.deny)
        if outcome is None:
            return
        self.findings.extend(outcome.findings)
        self.checks.append(outcome.check)
        self.next_steps.extend(outcome.next_steps)
        if outcome.checked:
            self.metrics["licenses_checked"] = outcome.checked

    # -- assembly ------------------------------------------------------------

    def build(self) -> Verdict:
        self._inputs()
        self._pins()
        self._vulnerabilities()
        self._ignore_hygiene()
        self._licenses()
        changed = self.ctx.changed_lines()
        findings = [inside_project(f) for f in self.findings]
        if changed is not None:
            findings = [
                f
                if f.path is None or f.line is None or changed.contains(f.path, f.line)
                else existing(f)
                for f in findings
            ]
        deps = self.inputs.dependencies
        self.metrics.update(
            {
                "files": list(self.inputs.files),
                "dependencies": len(deps),
                "pinned": sum(1 for d in deps if d.kind is PinKind.PINNED),
                "unpinned": sum(1 for d in deps if d.kind is PinKind.RANGE),
                "unscannable": sum(1 for d in deps if d.kind is PinKind.UNSCANNABLE),
            }
        )
        status = derive_status(self.checks, findings)
        return Verdict(
            gate=GATE,
            status=status,
            summary=self._summary(status, findings),
            checks=tuple(self.checks),
            findings=tuple(findings),
            next_steps=tuple(self.next_steps),
            metrics=self.metrics,
        )

    def _summary(self, status: Status, findings: list[Finding]) -> str:
        failing = [c.summary for c in self.checks if c.status is Status.ERROR and c.summary]
        if failing:
            return "; ".join(failing)
        by_rule: dict[str, int] = defaultdict(int)
        for f in findings:
            if f.severity is not Severity.NOTE:
                by_rule[f.rule] += 1
        vulns = next((c.summary for c in self.checks if c.name == "vulnerabilities"), None)
        parts = [vulns] if vulns else []
        for rule in sorted(by_rule):
            if rule != "vulnerable-dependency":
                parts.append(f"{by_rule[rule]} {rule}")
        return "; ".join(parts) or f"{status.value}"
