"""The openapi-lint gate: valid, well-formed OpenAPI documents with located findings.

For each discovered document (Swagger 2.0, OpenAPI 3.0/3.1): safe loading with
positions, ``$ref`` resolution, the structure check against the official schema, the
built-in ruleset, and with ``--base REF`` / ``--against FILE`` the breaking changes
from the older version. See docs/gates/openapi-lint.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from qualgate import policy
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.openapi_lint.rules import RULES
from qualgate.options import Kind, Option
from qualgate.verdict import (
    Check,
    Finding,
    Severity,
    Status,
    Verdict,
    derive_status,
    findings_summary,
    plural,
)

if TYPE_CHECKING:
    from qualgate.gates.openapi_lint.lint import Result, Settings

DEFAULT_TIMEOUT = 300.0
# The lint checks are judged by the lines changed since --base. Not "breaking": a
# breaking change is judged against the base by definition, never an existing finding.
BASE_SCOPED = frozenset({"load", "refs", "structure", "rules"})
DEFAULT_SPECS = (
    "openapi.yaml",
    "openapi.yml",
    "openapi.json",
    "swagger.yaml",
    "swagger.yml",
    "swagger.json",
    "**/openapi*.yaml",
    "**/openapi*.yml",
    "**/openapi*.json",
)
# Besides the shared skip-list: folders that hold other projects' or generated copies of
# OpenAPI documents, not this project's own: `env` (a virtualenv by another common
# name), `target` (Maven/Cargo build output) and `.scratch` (throwaway installs such as
# the npm packages under benchmarks/.scratch, full of their own openapi*.yaml fixtures).
SKIP_DIRS = policy.SKIP_DIRS | {"env", "target", ".scratch"}
_LEVELS = ("error", "warning", "note", "off")


def _validate_rules(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(
            'expects a table of rule id -> "error"|"warning"|"note"|"off", '
            'e.g. {operation-description = "off"}'
        )
    out: dict[str, str] = {}
    for key, level in value.items():
        rule = RULES.get(key)
        if rule is None:
            raise ValueError(f"unknown rule {key!r} (see --list-rules)")
        if level not in _LEVELS:
            raise ValueError(f"rule {key}: expects one of {', '.join(_LEVELS)}, got {level!r}")
        if not rule.configurable and level != rule.severity.value:
            raise ValueError(
                f"rule {key} cannot be changed: without it the document is not checked"
            )
        out[key] = level
    return out


OPTIONS = (
    Option(
        name="specs",
        kind=Kind.LIST,
        default=(),
        metavar="GLOB",
        help="OpenAPI documents to check (globs relative to the root). Default: "
        "openapi.{yaml,yml,json}, swagger.{yaml,yml,json}, **/openapi*.{yaml,yml,json}.",
    ),
    Option(
        name="rules",
        kind=Kind.JSON,
        default={},
        validate=_validate_rules,
        expects='a table of rule id -> "error"|"warning"|"note"|"off"',
        metavar="JSON",
        help='Rule severities, e.g. \'{"operation-description": "off"}\' (see --list-rules).',
    ),
    Option(
        name="against",
        kind=Kind.PATH,
        metavar="FILE",
        help="Report breaking changes from FILE (the older version) to the document.",
    ),
    Option(
        name="allow-remote-refs",
        kind=Kind.BOOL,
        default=False,
        help="Fetch http(s) $refs (never fetched otherwise).",
    ),
    Option(
        name="max-size-mb",
        kind=Kind.FLOAT,
        default=64.0,
        min=0.001,
        metavar="MB",
        help="Refuse documents larger than this (default 64).",
    ),
)


def discover(root: Path, patterns: Iterable[str]) -> list[Path]:
    """Files under ``root`` matching the globs, outside environment and build folders."""
    patterns = tuple(patterns)
    found: set[Path] = set()
    recursive = [p[3:] for p in patterns if p.startswith("**/")]
    for pattern in patterns:
        if pattern.startswith("**/"):
            continue
        if Path(pattern).is_absolute():
            # pathlib globs only relative patterns; an absolute file is taken as is.
            if Path(pattern).is_file():
                found.add(Path(pattern))
            continue
        found.update(p for p in root.glob(pattern) if p.is_file() and not _skipped(root, p))
    if recursive:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
            for name in files:
                path = Path(folder) / name
                # PurePath.match anchors at the right: "v1/openapi.yaml" matches
                # "api/v1/openapi.yaml", "openapi*.json" any file so named.
                rel = PurePosixPath(path.relative_to(root).as_posix())
                if any(rel.match(pat) for pat in recursive):
                    found.add(path)
    return sorted(found)


def _skipped(root: Path, path: Path) -> bool:
    parts = path.relative_to(root).parts[:-1]
    return any(p in SKIP_DIRS for p in parts)


def _settings(ctx: GateContext) -> Settings:
    from qualgate.gates.openapi_lint.lint import Settings

    levels = ctx.option("rules") or {}
    severities = {k: (None if v == "off" else Severity(v)) for k, v in levels.items()}
    return Settings(
        allow_remote=bool(ctx.option("allow-remote-refs")),
        max_bytes=int(float(ctx.option("max-size-mb")) * 1024 * 1024),
        severities=severities,
    )


def run(ctx: GateContext) -> Verdict:
    """Check every discovered OpenAPI document."""
    # Loading builds millions of small objects: see `lint` for what pausing the GC saves.
    with policy.gc_paused():
        return _run(ctx)


def _run(ctx: GateContext) -> Verdict:
    from qualgate.gates.openapi_lint import older
    from qualgate.gates.openapi_lint.lint import PHASES, check_document, to_findings

    settings = _settings(ctx)
    configured = tuple(ctx.option("specs") or ())
    paths = discover(ctx.root, configured or DEFAULT_SPECS)
    against: Path | None = ctx.option("against")
    if against is not None and not against.is_file():
        raise GateError(f"--against {against}: no such file", "pass the older document's path")
    if not paths:
        where = ", ".join(configured) if configured else "openapi.{yaml,yml,json}, swagger.*"
        return Verdict(
            gate=ctx.gate,
            status=Status.SKIPPED,
            summary=f"no OpenAPI document found (looked for {where})",
            checks=(Check(name="discover", status=Status.SKIPPED, summary="nothing found"),),
            next_steps=(f"set `specs` in [tool.qualgate.{ctx.gate}] to your documents' globs",),
        )
    if against is not None and len(paths) != 1:
        raise GateError(
            f"--against compares one document, but {len(paths)} were found",
            "limit `specs` to the document that FILE is an older version of",
        )
    timings = dict.fromkeys(PHASES, 0.0)
    findings: list[Finding] = []
    checked: list[str] = []
    ignored: list[str] = []
    not_run: dict[str, list[str]] = {}
    for path in paths:
        if ctx.remaining() <= 1.0:
            raise GateError(
                f"timed out after checking {plural(len(checked), 'document')}",
                "raise --timeout or limit `specs`",
            )
        rel = ctx.relpath(path)
        ctx.progress(f"checking {rel}")
        result = check_document(path, rel, ctx.root, settings)
        if not configured and _not_openapi(result):
            # Discovered by name only (openapi-generator.yaml...): not a description.
            ignored.append(rel)
            continue
        checked.append(rel)
        if result.skipped_rules:
            not_run[rel] = result.skipped_rules
        for phase, seconds in result.timings.items():
            timings[phase] += seconds
        findings.extend(to_findings(result.issues, settings))
        if result.spec is not None and (against is not None or ctx.base is not None):
            t0 = time.perf_counter()
            findings.extend(older.compare_for(ctx, result.spec, path, rel, against, settings))
            timings["breaking"] += time.perf_counter() - t0
    return _verdict(ctx, findings, checked, ignored, timings, against, not_run)


def _not_openapi(result: Result) -> bool:
    return any(i.rule == "oas-version" and not i.pointer for i in result.issues)


def _verdict(
    ctx: GateContext,
    findings: list[Finding],
    checked: list[str],
    ignored: list[str],
    timings: dict[str, float],
    against: Path | None,
    not_run: dict[str, list[str]] | None = None,
) -> Verdict:
    if not checked:
        return Verdict(
            gate=ctx.gate,
            status=Status.SKIPPED,
            summary="no OpenAPI document found ("
            + ", ".join(ignored)
            + " matched by name but declare neither `openapi` nor `swagger`)",
            checks=(Check(name="discover", status=Status.SKIPPED, summary="nothing found"),),
        )
    comparing = against is not None or ctx.base is not None
    checks = []
    for phase, seconds in timings.items():
        if phase == "breaking" and not comparing:
            continue
        mine = [f for f in findings if f.check == phase]
        status = derive_status((), mine)
        checks.append(
            Check(
                name=phase,
                status=status,
                duration_ms=int(seconds * 1000),
                findings=len(mine),
                summary=findings_summary(mine),
            )
        )
    status = derive_status(checks, findings)
    docs = plural(len(checked), "document")
    summary = f"{docs} checked: {findings_summary(findings)}"
    breaking_count = sum(1 for f in findings if f.check == "breaking" and f.blocking)
    if comparing:
        summary += f"; {plural(breaking_count, 'breaking change')}"
    steps: list[str] = []
    if status is Status.FAIL and _fails_after_base(ctx, findings):
        steps.append("fix the error findings; `--list-rules` explains each rule id")
    if breaking_count:
        steps.append(
            "breaking changes break existing clients: restore compatibility or version the API"
        )
    return Verdict(
        gate=ctx.gate,
        status=status,
        summary=summary,
        checks=tuple(checks),
        findings=tuple(findings),
        metrics={
            "documents": len(checked),
            "documents_ignored": ignored,
            # Rules a structurally invalid document could not be put through.
            **({"rules_not_run": not_run} if not_run else {}),
        },
        next_steps=tuple(steps),
    )


def _fails_after_base(ctx: GateContext, findings: list[Finding]) -> bool:
    """Whether an error finding still fails the gate once the pipeline has marked the
    findings off the lines changed since --base existing (same rule: `policy`)."""
    changed = ctx.changed_lines()
    return any(
        f.blocking
        and (changed is None or f.check not in BASE_SCOPED or policy.touches_change(f, changed))
        for f in findings
    )
