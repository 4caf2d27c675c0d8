"""Is a version affected by an OSV record? PEP 440 for PyPI, SemVer 2.0 for npm.

OSV ranges are evaluated the way the OSV schema defines them: events sorted by version
(``introduced: "0"`` lowest), walking up and switching "affected" on at ``introduced`` and
off at ``fixed`` (or just past ``last_affected``). Records list events in any order and may
hold several ranges; the explicit ``versions`` list counts too (a version in either is
affected).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from packaging.version import InvalidVersion, Version

from qualgate.gates.dependency_scan.model import Advisory, Affected, Ecosystem

# At equal versions a re-introduction wins over a fix: reporting beats missing an issue.
_ORDER = {"fixed": 0, "last_affected": 1, "introduced": 2}


class _Comparable(Protocol):
    def __lt__(self, other: object, /) -> bool: ...


@functools.total_ordering
class SemVer:
    """A SemVer 2.0 version (``1.2.3-rc.1+build``); build metadata does not order."""

    __slots__ = ("core", "pre")

    _RE = re.compile(
        r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
    )

    def __init__(self, text: str) -> None:
        match = self._RE.match(text.strip())
        if match is None:
            raise ValueError(f"not a semantic version: {text!r}")
        self.core = tuple(int(match.group(i) or 0) for i in (1, 2, 3))
        pre = match.group(4)
        self.pre: tuple[tuple[int, int | str], ...] = (
            tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
        )

    def _key(self) -> tuple[tuple[int, ...], int, tuple[tuple[int, int | str], ...]]:
        # A release sorts after its pre-releases.
        return (self.core, 0 if self.pre else 1, self.pre)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SemVer) and self._key() == other._key()

    def __lt__(self, other: SemVer) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = ".".join(str(c) for c in self.core)
        if self.pre:
            text += "-" + ".".join(str(p[1]) for p in self.pre)
        return text


@functools.lru_cache(maxsize=65536)
def parse_version(text: str, ecosystem: str) -> Version | SemVer | None:
    """A comparable version, or None when the text is not one (skipped, never guessed)."""
    try:
        if ecosystem == Ecosystem.NPM.value:
            return SemVer(text)
        return Version(text)
    except (InvalidVersion, ValueError):
        return None


@functools.lru_cache(maxsize=65536)
def canonical(text: str, ecosystem: str) -> str:
    """A version's comparison form: PEP 440 equal versions (``1.0`` and ``1.0.0``) share it.

    Plain dotted numbers, nearly every entry of an OSV ``versions`` list, take a fast path
    that parses nothing.
    """
    if ecosystem == Ecosystem.PYPI.value and text.replace(".", "").isdigit():
        parts = [str(int(p)) for p in text.split(".") if p]
        while len(parts) > 1 and parts[-1] == "0":
            parts.pop()
        return ".".join(parts)
    parsed = parse_version(text, ecosystem)
    if parsed is None:
        return text
    if isinstance(parsed, Version):
        from packaging.utils import canonicalize_version

        return canonicalize_version(parsed, strip_trailing_zero=True)
    return str(parsed)


@functools.lru_cache(maxsize=65536)
def _release_spellings(text: str, ecosystem: str) -> frozenset[str] | None:
    """The usual spellings of a plain PyPI release (``1.2`` = ``1.2.0`` = ``1.2.0.0``), so a
    versions list is searched without parsing it; None for anything else."""
    if ecosystem != Ecosystem.PYPI.value or not text.replace(".", "").isdigit():
        return None
    base = canonical(text, ecosystem)
    return frozenset({text, base, base + ".0", base + ".0.0", base + ".0.0.0"})


@functools.lru_cache(maxsize=8192)
def _canonical_versions(versions: frozenset[str], ecosystem: str) -> frozenset[str]:
    return frozenset(canonical(text, ecosystem) for text in versions)


@functools.lru_cache(maxsize=4)
def _lowest(ecosystem: str) -> Version | SemVer:
    return SemVer("0.0.0-0") if ecosystem == Ecosystem.NPM.value else Version("0.dev0")


@functools.lru_cache(maxsize=16384)
def _sorted_events(
    events: tuple[tuple[str, str], ...], ecosystem: str
) -> list[tuple[Version | SemVer, str, str]]:
    out = []
    for kind, text in events:
        if kind not in _ORDER:
            continue  # "limit" only applies to GIT ranges
        parsed = _lowest(ecosystem) if text == "0" else parse_version(text, ecosystem)
        if parsed is None:
            continue
        out.append((parsed, kind, text))
    out.sort(key=lambda e: (e[0], _ORDER[e[1]]))
    return out


def range_hit(
    version: Version | SemVer, events: tuple[tuple[str, str], ...], ecosystem: str
) -> tuple[bool, list[str]]:
    """(affected?, the fixed versions of the interval that contains ``version``)."""
    affected = False
    fixed_after: list[str] = []
    for parsed, kind, text in _sorted_events(events, ecosystem):
        if kind == "introduced":
            if version >= parsed:  # type: ignore[operator]
                affected = True
                fixed_after = []
        elif kind == "fixed":
            if version >= parsed:  # type: ignore[operator]
                affected = False
            elif affected and not fixed_after:
                fixed_after = [text]
        elif kind == "last_affected" and version > parsed:  # type: ignore[operator]
            affected = False
    return affected, fixed_after if affected else []


def affects(affected: Affected, version_text: str, ecosystem: str) -> tuple[bool, list[str]]:
    """Whether ``version_text`` is affected by one package entry, and its fixed versions."""
    version = parse_version(version_text, ecosystem)
    hit = False
    fixed: list[str] = []
    if version is not None:
        for rng in affected.ranges:
            if rng.type not in ("ECOSYSTEM", "SEMVER"):
                continue
            in_range, fixes = range_hit(version, rng.events, ecosystem)
            if in_range:
                hit = True
                fixed.extend(f for f in fixes if f not in fixed)
    listed = False
    if not hit and affected.versions:
        if version_text in affected.versions:
            listed = True
        elif version is not None:
            spellings = _release_spellings(version_text, ecosystem)
            if spellings is not None:
                listed = not affected.versions.isdisjoint(spellings)
            else:
                listed = canonical(version_text, ecosystem) in _canonical_versions(
                    affected.versions, ecosystem
                )
    if listed and version is not None:
        # Matched by the versions list only: name the fixes above the version.
        fixed = [
            text
            for rng in affected.ranges
            for kind, text in rng.events
            if kind == "fixed" and _greater(text, version, ecosystem)
        ]
    return hit or listed, fixed


def _greater(text: str, version: Version | SemVer, ecosystem: str) -> bool:
    parsed = parse_version(text, ecosystem)
    return parsed is not None and parsed > version  # type: ignore[operator]


def advisory_affects(
    advisory: Advisory, key: str, version: str, ecosystem: str
) -> tuple[bool, list[str]]:
    """Whether ``advisory`` affects package ``key`` (normalised) at ``version``."""
    hit = False
    fixed: list[str] = []
    for affected in advisory.affected:
        if affected.ecosystem != ecosystem or affected.name != key:
            continue
        this_hit, this_fixed = affects(affected, version, ecosystem)
        if this_hit:
            hit = True
            fixed.extend(f for f in this_fixed if f not in fixed)
    return hit, sort_versions(fixed, ecosystem)


def sort_versions(versions: Iterable[str], ecosystem: str) -> list[str]:
    def key(text: str) -> tuple[int, Version | SemVer | str]:
        parsed = parse_version(text, ecosystem)
        return (0, parsed) if parsed is not None else (1, text)

    return sorted(set(versions), key=key)


def smallest_fix(
    advisories: Sequence[Advisory], key: str, version: str, ecosystem: str
) -> str | None:
    """The lowest version above ``version`` that none of ``advisories`` affects.

    Candidates are the ``fixed`` versions the records name; None when no candidate is
    clean (no fix released, or only ``last_affected`` is known).
    """
    current = parse_version(version, ecosystem)
    if current is None:
        return None
    candidates = {
        text
        for advisory in advisories
        for affected in advisory.affected
        if affected.ecosystem == ecosystem and affected.name == key
        for rng in affected.ranges
        for kind, text in rng.events
        if kind == "fixed" and _greater(text, current, ecosystem)
    }
    for candidate in sort_versions(candidates, ecosystem):
        if not any(advisory_affects(a, key, candidate, ecosystem)[0] for a in advisories):
            return candidate
    return None
