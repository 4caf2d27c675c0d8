"""The artifact-validate gate: RFCs, ADRs, tasks, contracts and config files against schemas.

Four checks, each skipped when it has nothing to look at:

- ``markdown``: every ``*.md`` under ``artifacts-dir``, typed by front matter ``type:`` or
  by folder, against its type's schema and required headings; links, anchors, unique ids;
- ``structured``: files matched by the ``schemas`` globs against their schema;
- ``api-contract``: OpenAPI documents matched by ``api-contract`` globs, through
  openapi-lint's validation;
- ``verdict-files``: qualgate's own ``<verdict-dir>/*.json`` against the verdict schema,
  as they were when the run started (this gate's own file is rewritten at the end).

With ``--base``, every check is judged by changed lines (`BASE_SCOPED`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.artifact_validate.structured import validate_schemas_option
from qualgate.gates.artifact_validate.types import describe_types, validate_types_option
from qualgate.options import Kind, Option
from qualgate.policy import ALL_CHECKS
from qualgate.verdict import (
    Check,
    Finding,
    Status,
    Verdict,
    derive_status,
    findings_summary,
    plural,
)

DEFAULT_TIMEOUT = 120.0
BASE_SCOPED = ALL_CHECKS
DEFAULT_ARTIFACTS_DIR = Path("artifacts")

OPTIONS = (
    Option(
        name="artifacts-dir",
        kind=Kind.PATH,
        default=DEFAULT_ARTIFACTS_DIR,
        metavar="DIR",
        help="Folder of Markdown artifacts (default artifacts).",
    ),
    Option(
        name="exclude",
        kind=Kind.LIST,
        default=("**/README.md",),
        metavar="GLOB",
        help="Markdown files under the artifacts dir not to check, as globs relative to the "
        "artifacts dir (default **/README.md).",
    ),
    Option(
        name="types",
        kind=Kind.JSON,
        default=None,
        metavar="JSON",
        validate=validate_types_option,
        expects='a table of types, e.g. {runbook = {schema = "schemas/runbook.json", '
        'headings = ["Steps"]}}',
        help="Add or override artifact types: {name = {schema, headings, folders, description}}; "
        "schema paths are relative to the project root.",
    ),
    Option(
        name="schemas",
        kind=Kind.JSON,
        default=None,
        metavar="JSON",
        validate=validate_schemas_option,
        expects='a list of {glob, schema} tables, e.g. [{glob = "config/*.yaml", '
        'schema = "config/settings.schema.json"}]',
        help="Structured files (YAML/JSON/TOML) to validate: a list of {glob, schema}, "
        "relative to the project root.",
    ),
    Option(
        name="api-contract",
        kind=Kind.LIST,
        default=(),
        metavar="GLOB",
        help="OpenAPI documents to validate with openapi-lint's validation (globs).",
    ),
    Option(
        name="verdict-files",
        kind=Kind.BOOL,
        default=True,
        help="Validate qualgate's verdict files (<verdict-dir>/*.json) against the verdict schema.",
    ),
    Option(
        name="jobs",
        kind=Kind.INT,
        min=0,
        default=0,
        metavar="N",
        help="Worker processes for the Markdown checks (0: one per core when there are "
        "2,000 files or more; 1: none).",
    ),
    Option(
        name="list-types",
        help="Print the built-in artifact types (schema fields and required headings) and exit.",
        action=describe_types,
    ),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Snapshot:
    """A verdict file's bytes as they were when the run started."""

    path: Path
    data: bytes


def _snapshot_verdicts(directory: Path) -> list[_Snapshot]:
    out = []
    try:
        entries = sorted(directory.glob("*.json"))
    except OSError:  # pragma: no cover - an unreadable folder
        return []
    for path in entries:
        try:
            out.append(_Snapshot(path=path, data=path.read_bytes()))
        except OSError:
            continue  # removed between the listing and the read: nothing to judge
    return out


def _markdown_files(folder: Path, exclude: tuple[str, ...]) -> list[str]:
    from qualgate.gates.artifact_validate.links import MARKDOWN_SUFFIXES
    from qualgate.gates.artifact_validate.structured import glob_regex

    patterns = [glob_regex(p.strip().lstrip("/")) for p in exclude]
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(current, folder).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        for name in files:
            if name.lower().endswith(MARKDOWN_SUFFIXES) and not any(
                p.match(prefix + name) for p in patterns
            ):
                found.append(os.path.join(current, name))
    return sorted(found)


def _timed(name: str, work: Callable[[], tuple[list[Finding], str]]) -> tuple[Check, list[Finding]]:
    t0 = time.monotonic()
    findings, summary = work()
    status = derive_status(findings=findings)
    return (
        Check(
            name=name,
            status=status,
            duration_ms=int((time.monotonic() - t0) * 1000),
            findings=len(findings),
            summary=summary,
        ),
        findings,
    )


def _skipped(name: str, why: str) -> Check:
    return Check(name=name, status=Status.SKIPPED, summary=why)


def run(ctx: GateContext) -> Verdict:
    """Check every artifact the project declares; see the module docstring."""
    snapshot = _snapshot_verdicts(ctx.option("verdict-dir")) if ctx.option("verdict-files") else []
    checks: list[Check] = []
    findings: list[Finding] = []
    metrics: dict[str, Any] = {}

    def add(check: Check, found: list[Finding]) -> None:
        checks.append(check)
        findings.extend(found)

    add(*_markdown_check(ctx, metrics))
    add(*_structured_check(ctx, metrics))
    add(*_api_contract_check(ctx, metrics))
    add(*_verdict_check(ctx, snapshot, metrics))

    findings.sort(key=lambda f: (f.path or "", f.line or 0, f.column or 0, f.rule))
    status = derive_status(checks, findings)
    if status is Status.SKIPPED:
        reasons = "; ".join(c.summary or c.name for c in checks)
        summary = f"nothing to check: {reasons}"
    else:
        checked = metrics.get("files_checked", 0)
        summary = f"{findings_summary(findings)} ({plural(checked, 'file')} checked)"
    return Verdict(
        gate=ctx.gate,
        status=status,
        summary=summary,
        checks=tuple(checks),
        findings=tuple(findings),
        metrics=metrics,
        next_steps=_next_steps(findings),
    )


def _next_steps(findings: list[Finding]) -> tuple[str, ...]:
    steps = []
    rules = {f.rule for f in findings if f.blocking}
    if rules & {"front-matter-schema", "missing-heading", "unknown-type", "untyped-artifact"}:
        steps.append("see the artifact types with `qualgate artifact-validate --list-types`")
    if rules & {"broken-link", "broken-anchor", "link-escapes-root"}:
        steps.append(
            "fix the links: paths are relative to the file, anchors are GitHub heading slugs"
        )
    return tuple(steps)


def _bump(metrics: dict[str, Any], count: int) -> None:
    metrics["files_checked"] = metrics.get("files_checked", 0) + count


def _markdown_check(ctx: GateContext, metrics: dict[str, Any]) -> tuple[Check, list[Finding]]:
    folder: Path = ctx.option("artifacts-dir")
    shown = ctx.relpath(folder)
    if not folder.is_dir():
        if folder.exists():
            raise GateError(
                f"--artifacts-dir {shown} is not a folder", "point it at the artifacts folder"
            )
        if folder != ctx.root / DEFAULT_ARTIFACTS_DIR:
            # A folder named on purpose that is not there is a mistake, not "nothing to do".
            raise GateError(
                f"--artifacts-dir {shown} does not exist",
                "fix artifacts-dir, or remove it to use the default (artifacts/)",
            )
        return _skipped("markdown", f"no {shown}/ folder"), []
    files = _markdown_files(folder, tuple(ctx.option("exclude")))
    if not files:
        return _skipped("markdown", f"no Markdown files in {shown}/"), []

    def work() -> tuple[list[Finding], str]:
        from qualgate.gates.artifact_validate.batch import check_artifacts
        from qualgate.gates.artifact_validate.types import TypeSet, resolve_types

        types = TypeSet(resolve_types(ctx.option("types"), ctx.root), ctx.root)
        report = check_artifacts(
            files,
            root=ctx.root,
            artifacts_dir=folder,
            types=types,
            relpath=ctx.relpath,
            jobs=ctx.option("jobs"),
            deadline=ctx.started + ctx.timeout,
        )
        metrics["artifacts"] = report.files
        metrics["artifacts_by_type"] = dict(sorted(report.by_type.items()))
        _bump(metrics, report.files)
        return report.findings, f"{plural(report.files, 'artifact')} in {shown}/"

    return _timed("markdown", work)


def _structured_check(ctx: GateContext, metrics: dict[str, Any]) -> tuple[Check, list[Finding]]:
    rules = ctx.option("schemas") or ()
    if not rules:
        return _skipped("structured", "no `schemas` configured"), []

    def work() -> tuple[list[Finding], str]:
        from qualgate.gates.artifact_validate.schemas import load_schema_file
        from qualgate.gates.artifact_validate.structured import check_file, expand_glob, no_match

        found: list[Finding] = []
        count = 0
        for index, rule in enumerate(rules):
            schema_path = ctx.root / rule["schema"]
            validator = load_schema_file(schema_path, label=f"schemas[{index}] ({rule['schema']})")
            matches = expand_glob(ctx.root, rule["glob"])
            if not matches:
                found.append(no_match(rule["glob"], f"schemas[{index}]", "structured"))
            for path in matches:
                count += 1
                found.extend(
                    check_file(
                        path,
                        ctx.relpath(path),
                        validator,
                        check="structured",
                        schema_label=rule["schema"],
                    )
                )
        metrics["structured_files"] = count
        _bump(metrics, count)
        return found, f"{plural(count, 'file')} against {plural(len(rules), 'schema')}"

    return _timed("structured", work)


def _api_contract_check(ctx: GateContext, metrics: dict[str, Any]) -> tuple[Check, list[Finding]]:
    globs = tuple(ctx.option("api-contract"))
    if not globs:
        return _skipped("api-contract", "no `api-contract` globs configured"), []

    def work() -> tuple[list[Finding], str]:
        import dataclasses

        from qualgate.gates.artifact_validate.structured import expand_glob, no_match

        try:
            # Imported here: openapi-lint's code loads only when contracts are configured.
            from qualgate.gates.openapi_lint.api import validate_document
        except ImportError as exc:
            raise GateError(
                f"api-contract needs openapi-lint's validation, which cannot load: {exc}",
                "reinstall qualgate with its openapi-lint gate",
            ) from None
        found: list[Finding] = []
        count = 0
        for pattern in globs:
            matches = expand_glob(ctx.root, pattern)
            if not matches:
                found.append(no_match(pattern, "api-contract", "api-contract"))
            for path in matches:
                count += 1
                for finding in validate_document(path, ctx.root):
                    found.append(dataclasses.replace(finding, check="api-contract"))
        metrics["api_contracts"] = count
        _bump(metrics, count)
        return found, f"{plural(count, 'OpenAPI document')}"

    return _timed("api-contract", work)


def _verdict_check(
    ctx: GateContext, snapshot: list[_Snapshot], metrics: dict[str, Any]
) -> tuple[Check, list[Finding]]:
    if not ctx.option("verdict-files"):
        return _skipped("verdict-files", "disabled (verdict-files = false)"), []
    if not snapshot:
        return _skipped(
            "verdict-files", f"no verdict files in {ctx.relpath(ctx.option('verdict-dir'))}/"
        ), []

    def work() -> tuple[list[Finding], str]:
        from qualgate.gates.artifact_validate.schemas import trusted_schema
        from qualgate.gates.artifact_validate.structured import check_file
        from qualgate.verdict import schema_path

        validator = trusted_schema(schema_path(), label="verdict schema")
        found: list[Finding] = []
        for item in snapshot:
            rel = ctx.relpath(item.path)
            try:
                text = item.data.decode("utf-8")
            except UnicodeDecodeError:
                text = item.data.decode("utf-8", errors="replace")
            found.extend(
                check_file(
                    item.path,
                    rel,
                    validator,
                    check="verdict-files",
                    schema_label="verdict-v1",
                    syntax_rule="verdict-syntax",
                    schema_rule="verdict-schema",
                    text=text,
                )
            )
        metrics["verdict_files"] = len(snapshot)
        _bump(metrics, len(snapshot))
        return found, f"{plural(len(snapshot), 'verdict file')}"

    return _timed("verdict-files", work)
