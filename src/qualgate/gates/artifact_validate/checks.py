"""The gate's four checks, each a `Check` and its findings (see `gate` for what they do).

Every file is read inside the project only: discovery does not follow links out of the
root (such a file is a ``path-escapes-root`` finding, never read), reads are bounded and
refuse devices, and qualgate's own ``.qualgate/`` folder is never an artifact. A schema
whose ``$ref`` is not resolved makes its check ``error`` with a finding at the ``$ref``.
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
from qualgate.fsutil import escapes_root
from qualgate.gates.artifact_validate.rules import RULES
from qualgate.gates.artifact_validate.schemas import RefRefused
from qualgate.policy import SKIP_DIRS
from qualgate.verdict import Check, Finding, Status, derive_status, plural

DEFAULT_ARTIFACTS_DIR = Path("artifacts")
# The largest verdict file read (a verdict of 25,000 findings stays far below).
MAX_VERDICT_BYTES = 64 * 1024 * 1024

Result = tuple[Check, list[Finding]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Snapshot:
    """A verdict file's bytes as they were when the run started (None: not read, and why)."""

    path: Path
    data: bytes | None
    refused: str | None = None


def snapshot_verdicts(ctx: GateContext) -> list[Snapshot]:
    if not ctx.option("verdict-files"):
        return []
    from qualgate.fsutil import ReadRefused, read_bytes_bounded

    directory: Path = ctx.option("verdict-dir")
    out = []
    try:
        entries = sorted(directory.glob("*.json"))
    except OSError:  # pragma: no cover - an unreadable folder
        return []
    for path in entries:
        if escapes_root(path, ctx.root):
            out.append(Snapshot(path=path, data=None, refused="escapes"))
            continue
        try:
            out.append(Snapshot(path=path, data=read_bytes_bounded(path, MAX_VERDICT_BYTES)))
        except ReadRefused:
            out.append(Snapshot(path=path, data=None, refused="not a regular file"))
        except OSError:
            continue  # removed between the listing and the read: nothing to judge
    return out


def markdown_files(
    folder: Path, exclude: tuple[str, ...], allowed: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """(Markdown files under ``folder``, the ones a link leads out of ``allowed``).

    Hidden folders and the shared skip-list are not entered, links to folders are not
    followed, and a file that is a link is kept only when it resolves inside ``allowed``.
    """
    from qualgate.gates.artifact_validate.globs import Glob
    from qualgate.gates.artifact_validate.links import MARKDOWN_SUFFIXES

    patterns = [Glob(p.strip().lstrip("/")) for p in exclude]
    found: list[str] = []
    escaping: list[str] = []
    pending = [(str(folder), "")]
    while pending:
        current, prefix = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if not name.startswith(".") and name not in SKIP_DIRS:
                    pending.append((entry.path, prefix + name + "/"))
                continue
            if not name.lower().endswith(MARKDOWN_SUFFIXES):
                continue
            if any(p.match(prefix + name) for p in patterns):
                continue
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
                if not any(real.startswith(a + os.sep) for a in allowed):
                    escaping.append(entry.path)
                    continue
            found.append(entry.path)
    return sorted(found), sorted(escaping)


def timed(name: str, work: Callable[[], tuple[list[Finding], str]]) -> Result:
    t0 = time.monotonic()
    try:
        findings, summary = work()
        status = derive_status(findings=findings)
    except RefRefused as exc:
        findings = [
            RULES.finding(
                "schema-ref-refused",
                f"$ref {exc.ref} is not resolved ({exc.why}): the files checked against this "
                "schema were not validated",
                path=exc.schema,
                line=exc.line,
                check=name,
                data={"ref": exc.ref},
            )
        ]
        status, summary = Status.ERROR, exc.reason
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


def skipped(name: str, why: str) -> Result:
    return Check(name=name, status=Status.SKIPPED, summary=why), []


def _bump(metrics: dict[str, Any], count: int) -> None:
    metrics["files_checked"] = metrics.get("files_checked", 0) + count


def _never(ctx: GateContext) -> tuple[Path, ...]:
    """qualgate's own folders: never artifacts, whatever a glob says."""
    return (ctx.root / ".qualgate", Path(ctx.option("verdict-dir")))


def markdown_check(ctx: GateContext, metrics: dict[str, Any]) -> Result:
    from qualgate.gates.artifact_validate.structured import escaping as escaping_finding

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
        return skipped("markdown", f"no {shown}/ folder")
    real_folder = os.path.realpath(folder)
    if any(
        real_folder == os.path.realpath(n) or real_folder.startswith(os.path.realpath(n) + os.sep)
        for n in _never(ctx)
    ):
        return skipped("markdown", f"{shown}/ is qualgate's own folder")
    # A folder inside the root must stay inside once links are followed; one the command
    # line names outside the root (config cannot: the pipeline refuses it) is the user's.
    allowed = (os.path.realpath(ctx.root), real_folder)
    if escapes_root(folder, ctx.root):
        return (
            Check(name="markdown", status=Status.FAIL, findings=1, summary=f"{shown}/ not read"),
            [escaping_finding(shown, "markdown")],
        )
    files, outside = markdown_files(folder, tuple(ctx.option("exclude")), allowed)
    escaped = [escaping_finding(ctx.relpath(p), "markdown") for p in outside]
    if not files:
        if escaped:
            return timed("markdown", lambda: (escaped, f"no readable Markdown files in {shown}/"))
        return skipped("markdown", f"no Markdown files in {shown}/")

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
        # Link targets outside the artifacts folder: found or not, they decide the answer.
        ctx.note_inputs(*(p for p in report.consulted if not p.startswith(real_folder + os.sep)))
        metrics["artifacts"] = report.files
        metrics["artifacts_by_type"] = dict(sorted(report.by_type.items()))
        _bump(metrics, report.files)
        return report.findings + escaped, f"{plural(report.files, 'artifact')} in {shown}/"

    return timed("markdown", work)


def _expand(
    ctx: GateContext, pattern: str, what: str, check: str, found: list[Finding]
) -> list[Path]:
    """The files a glob matches inside the root; findings for what it may not reach."""
    from qualgate.gates.artifact_validate.globs import climbs_out, expand
    from qualgate.gates.artifact_validate.structured import climbing, escaping, no_match

    if climbs_out(pattern):
        found.append(climbing(pattern, what, check))
        return []
    result = expand(ctx.root, pattern, never=_never(ctx))
    found.extend(escaping(rel, check) for rel in result.escaping)
    if not result.files and not result.escaping:
        found.append(no_match(pattern, what, check))
    return result.files


def structured_check(ctx: GateContext, metrics: dict[str, Any]) -> Result:
    rules = ctx.option("schemas") or ()
    if not rules:
        return skipped("structured", "no `schemas` configured")

    def work() -> tuple[list[Finding], str]:
        from qualgate.gates.artifact_validate.schemas import load_schema_file
        from qualgate.gates.artifact_validate.structured import check_file

        found: list[Finding] = []
        count = 0
        for index, rule in enumerate(rules):
            label = f"schemas[{index}] ({rule['schema']})"
            matches = _expand(ctx, rule["glob"], f"schemas[{index}]", "structured", found)
            if not matches:
                continue
            validator = load_schema_file(ctx.root / rule["schema"], label=label, root=ctx.root)
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

    return timed("structured", work)


def api_contract_check(ctx: GateContext, metrics: dict[str, Any]) -> Result:
    globs = tuple(ctx.option("api-contract"))
    if not globs:
        return skipped("api-contract", "no `api-contract` globs configured")

    def work() -> tuple[list[Finding], str]:
        import dataclasses

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
            for path in _expand(ctx, pattern, "api-contract", "api-contract", found):
                count += 1
                for finding in validate_document(path, ctx.root):
                    found.append(dataclasses.replace(finding, check="api-contract"))
        metrics["api_contracts"] = count
        _bump(metrics, count)
        return found, f"{plural(count, 'OpenAPI document')}"

    return timed("api-contract", work)


def verdict_check(ctx: GateContext, snapshot: list[Snapshot], metrics: dict[str, Any]) -> Result:
    """qualgate's own verdict files (opt-in): counted apart from the project's files."""
    if not ctx.option("verdict-files"):
        return skipped("verdict-files", "off (verdict-files = true checks qualgate's own files)")
    if not snapshot:
        return skipped(
            "verdict-files", f"no verdict files in {ctx.relpath(ctx.option('verdict-dir'))}/"
        )

    def work() -> tuple[list[Finding], str]:
        from qualgate.gates.artifact_validate.schemas import trusted_schema
        from qualgate.gates.artifact_validate.structured import check_file, escaping
        from qualgate.verdict import schema_path

        validator = trusted_schema(schema_path(), label="verdict schema")
        found: list[Finding] = []
        for item in snapshot:
            rel = ctx.relpath(item.path)
            if item.data is None:
                found.append(
                    escaping(rel, "verdict-files")
                    if item.refused == "escapes"
                    else RULES.finding(
                        "unreadable",
                        f"not read: {item.refused}",
                        path=rel,
                        line=1,
                        check="verdict-files",
                    )
                )
                continue
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
        return found, f"{plural(len(snapshot), 'verdict file')}"

    return timed("verdict-files", work)


def next_steps(findings: list[Finding]) -> tuple[str, ...]:
    steps = []
    rules = {f.rule for f in findings if f.blocking}
    if rules & {"front-matter-schema", "missing-heading", "unknown-type", "untyped-artifact"}:
        steps.append("see the artifact types with `qualgate artifact-validate --list-types`")
    if rules & {"broken-link", "broken-anchor", "link-escapes-root"}:
        steps.append(
            "fix the links: paths are relative to the file, anchors are GitHub heading slugs"
        )
    if "schema-ref-refused" in rules:
        steps.append("make every $ref of the schema point at a schema file inside the project")
    return tuple(steps)
