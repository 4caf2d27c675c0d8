"""Finding the advisories that affect each pinned dependency, offline or online.

Both paths end in the same shape: for each pinned dependency occurrence, the matched
advisories (withdrawn ones dropped, aliases merged into one group per issue) and, when it
could not be checked, the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualgate.gates.dependency_scan import matching
from qualgate.gates.dependency_scan.cvss import LEVELS, severity_of
from qualgate.gates.dependency_scan.model import Advisory, Dependency
from qualgate.gates.dependency_scan.offline import OfflineDb
from qualgate.gates.dependency_scan.osv import OsvClient, Query

# Which record of a group of aliases speaks for it: GHSA records carry severity, PYSEC
# records carry exact PyPI ranges, CVE ids are the least specific.
_PREFERENCE = ("GHSA-", "PYSEC-", "OSV-")


@dataclass(frozen=True, kw_only=True, slots=True)
class Match:
    """One issue (a group of aliased advisories) affecting one dependency occurrence."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    severity: str  # low|medium|high|critical|unknown
    score: float | None
    vector: str | None
    fixed: tuple[str, ...]
    url: str | None
    advisories: tuple[Advisory, ...]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))


@dataclass(kw_only=True, slots=True)
class Lookup:
    """Results for the checked dependencies, keyed by (ecosystem, key, version)."""

    matches: dict[tuple[str, str, str], tuple[Match, ...]] = field(default_factory=dict)
    unchecked: dict[tuple[str, str, str], str] = field(default_factory=dict)
    source: str = ""
    records: int = 0
    requests: int = 0
    cached: bool = False
    duration_ms: int = 0
    notes: list[str] = field(default_factory=list)


def dep_key(dep: Dependency) -> tuple[str, str, str]:
    return (dep.ecosystem.value, dep.key, dep.version or "")


def _rank(vuln_id: str) -> int:
    for index, prefix in enumerate(_PREFERENCE):
        if vuln_id.startswith(prefix):
            return index
    return len(_PREFERENCE) + (1 if vuln_id.startswith("CVE-") else 0)


def group(
    hits: Sequence[tuple[Advisory, list[str]]], key: str, version: str, ecosystem: str
) -> tuple[Match, ...]:
    """Merge advisories that share an id or alias into one `Match` each."""
    groups: list[tuple[set[str], list[tuple[Advisory, list[str]]]]] = []
    for advisory, fixed in hits:
        ids = {advisory.id, *advisory.aliases}
        joined = [g for g in groups if g[0] & ids]
        merged_ids, merged = set(ids), [(advisory, fixed)]
        for g in joined:
            merged_ids |= g[0]
            merged.extend(g[1])
            groups.remove(g)
        groups.append((merged_ids, merged))
    out = []
    for ids, members in groups:
        members.sort(key=lambda m: (_rank(m[0].id), m[0].id))
        lead = members[0][0]
        best: tuple[str, float | None, str | None] = ("unknown", None, None)
        for advisory, _ in members:
            candidate = severity_of(advisory.severity, advisory.severity_label)
            if _severity_rank(candidate[0]) > _severity_rank(best[0]) or (
                candidate[0] == best[0] and (candidate[1] or 0) > (best[1] or 0)
            ):
                best = candidate
        fixed = matching.sort_versions((f for _, fx in members for f in fx), ecosystem)
        summary = next((a.summary for a, _ in members if a.summary), "")
        out.append(
            Match(
                id=lead.id,
                aliases=tuple(sorted(ids - {lead.id}, key=lambda i: (_rank(i), i))),
                summary=summary,
                severity=best[0],
                score=best[1],
                vector=best[2],
                fixed=tuple(fixed),
                url=lead.url,
                advisories=tuple(a for a, _ in members),
            )
        )
    out.sort(key=lambda m: (-_severity_rank(m.severity), m.id))
    return tuple(out)


def _severity_rank(level: str) -> int:
    return LEVELS.index(level) + 1 if level in LEVELS else 0


def lookup_offline(db: OfflineDb, deps: Sequence[Dependency], label: str | None = None) -> Lookup:
    start = time.monotonic()
    result = Lookup(
        source=f"offline database {label or db.path} ({db.records} records)",
        records=db.records,
        cached=db.from_cache,
    )
    covered = db.ecosystems()
    for dep in deps:
        key = dep_key(dep)
        if key in result.matches or key in result.unchecked:
            continue
        ecosystem, name, version = key
        if matching.parse_version(version, ecosystem) is None:
            result.unchecked[key] = f"{name} {version!r} is not a valid {ecosystem} version"
            continue
        if ecosystem not in covered:
            # A PyPI-only database knows nothing of npm packages: that is not "no advisory".
            result.unchecked[key] = f"the offline database has no {ecosystem} records"
            continue
        hits = []
        for advisory in db.lookup(ecosystem, name):
            if advisory.withdrawn:
                continue
            hit, fixed = matching.advisory_affects(advisory, name, version, ecosystem)
            if hit:
                hits.append((advisory, fixed))
        result.matches[key] = group(hits, name, version, ecosystem)
    result.duration_ms = int((time.monotonic() - start) * 1000)
    return result


def lookup_online(
    base_url: str,
    deps: Sequence[Dependency],
    *,
    cache_dir: Path | None,
    timeout: float,
    retries: int,
    deadline: Callable[[], float],
    backoff: float = 0.5,
) -> Lookup:
    start = time.monotonic()
    client = OsvClient(
        base_url,
        cache_dir=cache_dir,
        timeout=timeout,
        retries=retries,
        deadline=deadline,
        backoff=backoff,
    )
    queries: dict[tuple[str, str, str], Query] = {}
    invalid: dict[tuple[str, str, str], str] = {}
    for dep in deps:
        ecosystem, name, version = key = dep_key(dep)
        if matching.parse_version(version, ecosystem) is None:
            invalid[key] = f"{name} {version!r} is not a valid {ecosystem} version"
            continue
        queries[key] = Query(ecosystem=ecosystem, name=name, version=version)
    answer = client.query(list(queries.values())) if queries else None
    result = Lookup(
        source=f"OSV API {client.shown}",
        requests=answer.requests if answer else 0,
        unchecked=invalid,
    )
    if answer is None:
        result.duration_ms = int((time.monotonic() - start) * 1000)
        return result
    for key, query in queries.items():
        if query in answer.failures:
            result.unchecked[key] = answer.failures[query]
            continue
        ecosystem, name, version = key
        hits = []
        for advisory in answer.advisories.get(query, ()):
            if advisory.withdrawn:
                continue
            # The server decided the match; our matcher only names the fixing versions.
            _, fixed = matching.advisory_affects(advisory, name, version, ecosystem)
            hits.append((advisory, fixed))
        result.matches[key] = group(hits, name, version, ecosystem)
    result.records = len({a.id for m in result.matches.values() for g in m for a in g.advisories})
    result.duration_ms = int((time.monotonic() - start) * 1000)
    return result
