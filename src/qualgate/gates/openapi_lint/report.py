"""The verdict of a run: one check per phase, the summary, the metrics, the next steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from qualgate import policy
from qualgate.context import GateContext
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
    from qualgate.gates.openapi_lint.appspec import Generated


class Outcome(Protocol):
    """What a run gathered (`checking.Run`), as the verdict needs it."""

    ctx: GateContext
    findings: list[Finding]
    timings: dict[str, float]
    checked: list[str]
    ignored: list[str]
    not_run: dict[str, list[str]]
    extra_checks: list[Check]
    comparing: bool
    contract: str | None
    generated: Generated | None


# The lint checks are judged by the lines changed since --base. Not "breaking": a
# breaking change is judged against the base by definition, never an existing finding;
# nor "contract": a deviation sits at the contract's line, which need not change.
BASE_SCOPED = frozenset({"load", "refs", "structure", "rules"})


def skipped(ctx: GateContext, summary: str) -> Verdict:
    return Verdict(
        gate=ctx.gate,
        status=Status.SKIPPED,
        summary=summary,
        checks=(Check(name="discover", status=Status.SKIPPED, summary="nothing found"),),
        next_steps=(
            f"set `specs` in [tool.qualgate.{ctx.gate}] to your documents' globs, or "
            "`app` to your app (module:attr)",
        ),
    )


def verdict_of(run: Outcome) -> Verdict:
    ctx = run.ctx
    if not run.checked:
        return skipped(
            ctx,
            "no OpenAPI document found ("
            + ", ".join(run.ignored)
            + " matched by name but declare neither `openapi` nor `swagger`)",
        )
    findings = run.findings
    checks: list[Check] = [c for c in run.extra_checks if c.name == "generate"]
    for phase, seconds in run.timings.items():
        if phase == "breaking" and not run.comparing:
            continue
        mine = [f for f in findings if f.check == phase]
        checks.append(
            Check(
                name=phase,
                status=derive_status((), mine),
                duration_ms=int(seconds * 1000),
                findings=len(mine),
                summary=findings_summary(mine),
            )
        )
    for extra in run.extra_checks:
        if extra.name == "contract":
            mine = [f for f in findings if f.check == "contract"]
            checks.append(
                Check(
                    name="contract",
                    status=derive_status((), mine),
                    duration_ms=extra.duration_ms,
                    findings=len(mine),
                    summary=f"{run.contract}: {findings_summary(mine)}",
                )
            )
    status = derive_status(checks, findings)
    docs = plural(len(run.checked), "document")
    summary = f"{docs} checked: {findings_summary(findings)}"
    breaking_count = sum(1 for f in findings if f.check == "breaking" and f.blocking)
    if run.comparing:
        summary += f"; {plural(breaking_count, 'breaking change')}"
    violations = sum(1 for f in findings if f.check == "contract" and f.blocking)
    if any(c.name == "contract" for c in checks):
        summary += f"; {plural(violations, 'contract violation')}"
    steps: list[str] = []
    if status is Status.FAIL and _fails_after_base(ctx, findings):
        steps.append("fix the error findings; `--list-rules` explains each rule id")
    if breaking_count:
        steps.append(
            "breaking changes break existing clients: restore compatibility or version the API"
        )
    if violations:
        steps.append(
            f"the implementation breaks clients written against {run.contract}: change the "
            "code to match it (data.implementation says where), or agree a new contract"
        )
    generated = run.generated
    metrics: dict[str, object] = {
        "documents": len(run.checked),
        "documents_ignored": run.ignored,
    }
    if generated is not None:
        metrics["generated"] = {
            "app": generated.target,
            "framework": generated.framework,
            "path": generated.doc.rel,
        }
    if run.contract is not None:
        metrics["contract"] = run.contract
    if run.not_run:
        # Rules a structurally invalid document could not be put through.
        metrics["rules_not_run"] = run.not_run
    return Verdict(
        gate=ctx.gate,
        status=status,
        summary=summary,
        checks=tuple(checks),
        findings=tuple(findings),
        metrics=metrics,
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
