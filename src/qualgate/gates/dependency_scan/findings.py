"""Pieces of findings the dependency-scan phases share: outcomes, locations, steps."""

from __future__ import annotations

import dataclasses
from typing import Any

from qualgate.context import GateContext
from qualgate.fsutil import read_text_bounded
from qualgate.gates.dependency_scan import matching
from qualgate.gates.dependency_scan.lookup import Match
from qualgate.gates.dependency_scan.model import Advisory, Dependency, Ecosystem, normalize_name
from qualgate.verdict import Check, Finding


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """What one policy phase (pins, licenses) adds to the verdict."""

    findings: tuple[Finding, ...]
    check: Check
    next_steps: tuple[str, ...] = ()
    checked: int = 0


def marker_note(dep: Dependency) -> str:
    return f" (when {dep.marker})" if dep.marker else ""


def where(dep: Dependency) -> dict[str, Any]:
    """Finding location (files outside the project are handled by `inside_project`)."""
    if dep.path.startswith("installed:"):
        return {"path": None, "line": None}
    return {"path": dep.path, "line": dep.line}


def package_ref(dep: Dependency) -> str:
    """``ecosystem:name@version``: how the SBOM finds a component's advisories."""
    return f"{dep.ecosystem.value}:{dep.key}@{dep.version}"


def matching_name(package: str, dep: Dependency) -> bool:
    if dep.ecosystem is Ecosystem.PYPI:
        return normalize_name(package) == dep.key
    return package == dep.name


def shortened(f: Finding, limit: int = 1000) -> Finding:
    """A finding names what is wrong; it does not copy a 200,000-character lock entry into
    every output format."""
    if len(f.message) <= limit:
        return f
    return dataclasses.replace(f, message=f.message[: limit - 1] + "\u2026")


def inside_project(f: Finding) -> Finding:
    """Verdict paths lie inside the project: a file above it (a workspace lock, ``../uv.lock``)
    or outside it (a system site-packages) moves into the message, its line into ``data``
    (so the message, and the fingerprint made from it, stay stable as the lock changes)."""
    if f.path is None or not (
        f.path.startswith(("/", "../")) or f.path == ".." or f.path[1:3] == ":/"
    ):
        return f
    data = dict(f.data)
    if f.line:
        data.setdefault("location", f"{f.path}:{f.line}")
    return dataclasses.replace(
        f, path=None, line=None, column=None, message=f"{f.path}: {f.message}", data=data
    )


def upgrade_step(key: tuple[str, str, str], matches: list[Match], deps: list[Dependency]) -> str:
    ecosystem, name, version = key
    advisories: list[Advisory] = [a for m in matches for a in m.advisories]
    fix = matching.smallest_fix(advisories, name, version, ecosystem)
    display = deps[0].name if deps else name
    places = ", ".join(sorted({f"{d.path}:{d.line}" if d.line else d.path for d in deps}))
    ids = ", ".join(m.id for m in matches)
    if fix is None:
        return (
            f"{display} {version}: no released version fixes {ids}; replace it, or add an "
            f"ignore with a reason and an until date ({places})"
        )
    return f"upgrade {display} {version} -> {fix} ({places})"


def config_location(ctx: GateContext, vuln_id: str) -> tuple[str | None, int | None]:
    """The config file and line that names an ignored id (best effort)."""
    for name in ("pyproject.toml", "qualgate.toml"):
        path = ctx.root / name
        try:
            lines = read_text_bounded(path, 4 * 1024 * 1024).splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, text in enumerate(lines, start=1):
            if f'"{vuln_id}"' in text or f"'{vuln_id}'" in text:
                return name, number
    return None, None
