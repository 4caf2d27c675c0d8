"""Value objects shared by the dependency-scan modules: dependencies, problems, advisories."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

_NORMALIZE = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """PEP 503 normalised project name (``Foo.Bar_baz`` -> ``foo-bar-baz``)."""
    return _NORMALIZE.sub("-", name).lower()


class Ecosystem(str, enum.Enum):
    """OSV ecosystems the gate understands."""

    PYPI = "PyPI"
    NPM = "npm"


class PinKind(str, enum.Enum):
    """How precisely a dependency names the version that gets installed."""

    PINNED = "pinned"  # one exact version: checkable
    RANGE = "range"  # a specifier that allows several versions: not checkable
    UNSCANNABLE = "unscannable"  # URL, VCS, local path, editable: no registry version


@dataclass(frozen=True, kw_only=True, slots=True)
class Dependency:
    """One dependency occurrence, located at the file and line that declares it."""

    name: str
    ecosystem: Ecosystem
    path: str  # root-relative (or absolute outside the root), '/'-separated
    line: int | None
    kind: PinKind
    version: str | None = None
    specifier: str = ""
    extras: tuple[str, ...] = ()
    marker: str | None = None
    source: str = ""  # the input format: requirements, poetry.lock, npm, installed...
    detail: str = ""  # for unscannable ones: the URL or path
    licenses: tuple[str, ...] = ()  # SPDX ids/expressions or raw license strings
    # Application lock/requirement files must pin; library metadata (PEP 621) may not.
    application: bool = True
    dev: bool = False

    @property
    def key(self) -> str:
        """Normalised name as OSV indexes it for the ecosystem."""
        if self.ecosystem is Ecosystem.PYPI:
            return normalize_name(self.name)
        return self.name

    @property
    def display(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.name


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """A defect in an input file (unparsable line, missing include, cycle)."""

    rule: str
    message: str
    path: str | None
    line: int | None = None
    blocking: bool = True
    note: bool = False  # informational only (severity note)


@dataclass(frozen=True, kw_only=True, slots=True)
class Range:
    """One OSV range of type ECOSYSTEM or SEMVER: its events in file order."""

    type: str
    events: tuple[tuple[str, str], ...]  # (kind, version): introduced/fixed/last_affected/limit


@dataclass(frozen=True, kw_only=True, slots=True)
class Affected:
    """The part of an OSV record about one package."""

    ecosystem: str
    name: str
    ranges: tuple[Range, ...] = ()
    versions: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True, slots=True)
class Advisory:
    """An OSV vulnerability record, reduced to what matching and reporting need."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    severity: tuple[tuple[str, str], ...] = ()  # (type, score) e.g. ("CVSS_V3", "CVSS:3.1/...")
    severity_label: str | None = None  # database_specific.severity (GHSA: LOW..CRITICAL)
    withdrawn: bool = False
    modified: str = ""
    affected: tuple[Affected, ...] = ()
    url: str | None = None
    origin: str = ""  # file the record came from (offline) or "osv api"


@dataclass(frozen=True, kw_only=True, slots=True)
class Inputs:
    """What the sources produced: dependencies, problems, and the files read."""

    dependencies: tuple[Dependency, ...] = ()
    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = ()
    skipped_files: tuple[str, ...] = field(default_factory=tuple)
    # Every name in the lock files read (normalised), and those files: a project with a
    # lock is judged by it.
    locked: frozenset[str] = frozenset()
    locks: tuple[str, ...] = ()
    # The project's own name (from pyproject.toml), never a dependency of itself.
    project: str | None = None
    # Files the answer depends on whether or not they were read (include targets).
    consulted: tuple[str, ...] = ()
