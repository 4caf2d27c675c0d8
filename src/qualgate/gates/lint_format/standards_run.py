"""The ``standards`` check as one job: the preset's ruff run, the function-length pass
and the content scan for secrets (detect-secrets), judged together."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from qualgate import git
from qualgate.errors import GateError

from . import fix as fixer
from . import ruff as ruff_check
from . import secretscan, standards
from .judge import STANDARDS_CHECK
from .plan import Plan
from .tools import Outcome


def standards_job(plan: Plan) -> Callable[[], Outcome]:
    ctx = plan.ctx

    def job() -> Outcome:
        tool = plan.ruff
        if tool is None:  # pragma: no cover - the gate finds ruff before the preset runs
            raise GateError("ruff is not installed", "install ruff")
        started = time.monotonic()
        ruff = tool.prefix[0]
        python_files = [
            ctx.relpath(str(p)) for p in fixer.list_files(ruff, ctx.root, ctx.remaining())
        ]
        preset_run = ruff_check.run_check(
            ruff,
            ctx.root,
            version=tool.version,
            timeout=ctx.remaining(),
            relpath=ctx.relpath,
            extra=(*plan.ruff_extra, "--select", ",".join(standards.RUFF_RULES)),
            name=STANDARDS_CHECK,
        )
        result = standards.outcome(
            preset_run, python_files, ctx.root, ctx.option("max-function-lines")
        )
        if result.check.status.value != "error":
            listed = git.tracked_files(ctx.root) or []
            candidates = secretscan.candidate_files(ctx.root, python_files, listed)
            secrets = secretscan.scan(
                ctx.root,
                candidates,
                skip=lambda path: not standards.applies(standards.BY_RULE["S105"], path),
                deadline=ctx.remaining,
            )
            # Masked in every other finding too: a type checker may quote a literal.
            plan.secret_values = tuple(s.value for s in secrets if len(s.value) >= 8)
            result = standards.with_secrets(
                result, [secretscan.finding(s, STANDARDS_CHECK) for s in secrets]
            )
        # The check's time is the whole preset: file list, ruff run, AST pass and scan.
        elapsed = int((time.monotonic() - started) * 1000)
        return dataclasses.replace(
            result, check=dataclasses.replace(result.check, duration_ms=elapsed)
        )

    return job
