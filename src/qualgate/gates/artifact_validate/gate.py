"""The artifact-validate gate: RFCs, ADRs, tasks, contracts and config files against schemas.

Four checks, each skipped when it has nothing to look at:

- ``markdown``: every ``*.md`` under ``artifacts-dir``, typed by front matter ``type:`` or
  by folder, against its type's schema and required headings; links, anchors, unique ids;
- ``structured``: files matched by the ``schemas`` globs against their schema;
- ``api-contract``: OpenAPI documents matched by ``api-contract`` globs, through
  openapi-lint's validation;
- ``verdict-files`` (off by default): qualgate's own ``<verdict-dir>/*.json`` against the
  verdict schema, as they were when the run started, counted apart from the project's files.

qualgate's own ``.qualgate/`` folder is never an artifact: its verdict files do not change
what the gate checks or counts, so a fresh checkout and one where other gates ran get the
same answer. The checks themselves are in `qualgate.gates.artifact_validate.checks`.

With ``--base``, every check is judged by changed lines (`BASE_SCOPED`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qualgate.context import GateContext
from qualgate.gates.artifact_validate import checks as c
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

if TYPE_CHECKING:
    from qualgate.cache.inputs import Inputs

DEFAULT_TIMEOUT = 120.0
BASE_SCOPED = ALL_CHECKS
DEFAULT_ARTIFACTS_DIR = c.DEFAULT_ARTIFACTS_DIR

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
        default=False,
        help="Also validate qualgate's own verdict files (<verdict-dir>/*.json) against the "
        "verdict schema (default off: .qualgate/ is not a project artifact).",
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


def INPUTS(ctx: GateContext) -> Inputs:
    """What an answer depends on, for the result cache (`qualgate.cache.inputs`): the
    artifacts, the documents and schemas the options name, the configuration. Never
    cached while ``verdict-files`` is on."""
    from qualgate.cache.inputs import Inputs, rel_glob

    if ctx.option("verdict-files"):
        return Inputs(
            skip="it validates qualgate's verdict files, which every run rewrites "
            "(verdict-files = false makes it cacheable)"
        )
    files = [
        *rel_glob(ctx, ctx.option("artifacts-dir"), "/**"),
        *(str(g) for g in ctx.option("api-contract") or ()),
        "pyproject.toml",
        "qualgate.toml",
    ]
    for entry in ctx.option("schemas") or ():
        if isinstance(entry, dict):
            files += [str(v) for k, v in entry.items() if k in ("glob", "schema")]
    for spec in (ctx.option("types") or {}).values():
        if isinstance(spec, dict) and spec.get("schema"):
            files.append(str(spec["schema"]))
        if isinstance(spec, dict):
            files += [f"{str(f).strip('/')}/**" for f in spec.get("folders") or ()]
    return Inputs(files=tuple(files), env=(), python=False)


def run(ctx: GateContext) -> Verdict:
    """Check every artifact the project declares; see the module docstring."""
    snapshot = c.snapshot_verdicts(ctx)
    checks: list[Check] = []
    findings: list[Finding] = []
    metrics: dict[str, Any] = {}

    def add(check: Check, found: list[Finding]) -> None:
        checks.append(check)
        findings.extend(found)

    add(*c.markdown_check(ctx, metrics))
    add(*c.structured_check(ctx, metrics))
    add(*c.api_contract_check(ctx, metrics))
    add(*c.verdict_check(ctx, snapshot, metrics))

    findings.sort(key=lambda f: (f.path or "", f.line or 0, f.column or 0, f.rule))
    status = derive_status(checks, findings)
    if status is Status.SKIPPED:
        reasons = "; ".join(ch.summary or ch.name for ch in checks)
        summary = f"nothing to check: {reasons}"
    elif status is Status.ERROR:
        summary = "; ".join(ch.summary or ch.name for ch in checks if ch.status is Status.ERROR)
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
        next_steps=c.next_steps(findings),
    )
