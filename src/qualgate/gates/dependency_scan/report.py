"""Turning inputs, lookups and policies into findings, checks, next steps and a summary."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from qualgate.context import GateContext
from qualgate.gates.dependency_scan import licenses, pins
from qualgate.gates.dependency_scan.findings import (
    Outcome,
    config_location,
    inside_project,
    marker_note,
    matching_name,
    package_ref,
    shortened,
    upgrade_step,
    where,
)
from qualgate.gates.dependency_scan.lookup import Lookup, Match, dep_key
from qualgate.gates.dependency_scan.model import Dependency, Inputs, PinKind
from qualgate.gates.dependency_scan.policy import Ignore, blocks
from qualgate.gates.dependency_scan.rules import RULES
from qualgate.verdict import (
    Check,
    Finding,
    Severity,
    Status,
    Verdict,
    derive_status,
    plural,
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
                RULES.finding(
                    problem.rule,
                    problem.message,
                    severity=severity,
                    path=problem.path,
                    line=problem.line,
                    check="inputs",
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
        outcome = pins.check(self.inputs, self.require_pins)
        self._add(outcome)
        self.metrics["ranges_resolved"] = outcome.checked

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
            self.findings.append(RULES.finding("vuln-db-unreadable", note, check="vulnerabilities"))
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
        return RULES.finding(
            "vulnerable-dependency",
            message,
            severity=Severity.ERROR if fails else Severity.WARNING,
            **where(dep),
            check="vulnerabilities",
            # The advisory's own page when its record names one.
            help=match.url or RULES.help_url("vulnerable-dependency"),
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
                    RULES.finding(
                        "ignore-expired",
                        f"the ignore of {ignore.id} expired on {ignore.until} "
                        f"({ignore.reason}): fix the dependency or renew the ignore with a "
                        "new date and reason",
                        path=path,
                        line=line,
                        check="policy",
                        data={"id": ignore.id, "until": str(ignore.until)},
                    )
                )
            elif index not in self._used_ignores and checked_all:
                self.findings.append(
                    RULES.finding(
                        "ignore-unused",
                        f"the ignore of {ignore.id} matches no scanned dependency: remove it",
                        path=path,
                        line=line,
                        check="policy",
                        data={"id": ignore.id},
                    )
                )

    def _licenses(self) -> None:
        outcome = licenses.check(self.inputs.dependencies, self.allow, self.deny)
        if outcome is None:
            return
        self._add(outcome)
        if outcome.checked:
            self.metrics["licenses_checked"] = outcome.checked

    def _add(self, outcome: Outcome) -> None:
        self.findings.extend(outcome.findings)
        self.checks.append(outcome.check)
        self.next_steps.extend(outcome.next_steps)

    # -- assembly ------------------------------------------------------------

    def build(self) -> Verdict:
        self._inputs()
        self._pins()
        self._vulnerabilities()
        self._ignore_hygiene()
        self._licenses()
        findings = [inside_project(shortened(f)) for f in self.findings]
        deps = self.inputs.dependencies
        self.metrics.update(
            {
                "files": list(self.inputs.files),
                "locks": list(self.inputs.locks),
                "dependencies": len(deps),
                "pinned": sum(1 for d in deps if d.kind is PinKind.PINNED),
                "ranges": sum(1 for d in deps if d.kind is PinKind.RANGE),
                # Ranges nothing resolves: exactly the unpinned-dependency findings.
                "unpinned": sum(1 for f in findings if f.rule == "unpinned-dependency"),
                "unscannable": sum(1 for d in deps if d.kind is PinKind.UNSCANNABLE),
            }
        )
        status = derive_status(self.checks, findings)
        return Verdict(
            gate=self.ctx.gate,
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
