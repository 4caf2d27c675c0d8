"""Sample verdicts every renderer must handle: one per shape a gate can answer with."""

from __future__ import annotations

import hashlib

from qualgate.verdict import (
    Check,
    Finding,
    Project,
    Severity,
    Status,
    Threshold,
    Tool,
    Verdict,
)

STARTED = "2026-11-22T10:00:00.250000Z"
HOSTILE = "100% sure: a,b <x> & | `tick` *bold* [l](u) \r\nnext line ünïcødé ✓ \x1b[31m\x00 @here"


def fingerprint(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _envelope(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "tool": Tool(version="0.1.0"),
        "started_at": STARTED,
        "duration_ms": 1234,
        "project": Project(root=".", commit="0123456789abcdef0123", dirty=False, base=None),
        "reproduce": "qualgate sample .",
    }
    base.update(changes)
    return base


def passing() -> Verdict:
    return Verdict(
        gate="lint-format",
        status=Status.PASS,
        summary="no findings in 41 files",
        checks=(
            Check(
                name="ruff-check",
                status=Status.PASS,
                duration_ms=90,
                command=("/usr/bin/ruff", "check", "."),
                tool_version="0.17.5",
            ),
            Check(name="mypy", status=Status.PASS, duration_ms=2000, tool_version="1.18"),
        ),
        metrics={"files_checked": 41},
        thresholds=(Threshold(name="coverage.total", min=80, actual=83.2, ok=True),),
        **_envelope(),  # type: ignore[arg-type]
    )


def many_findings(count: int = 120) -> tuple[Finding, ...]:
    """``count`` findings of every kind: located, path only, project-level, existing."""
    out: list[Finding] = []
    for i in range(count):
        kind = i % 6
        severity = (Severity.ERROR, Severity.WARNING, Severity.NOTE)[i % 3]
        common = {
            "check": "ruff-check" if i % 2 else "mypy",
            "fingerprint": fingerprint(f"f{i}"),
        }
        if kind == 0:
            f = Finding(
                rule="F401",
                severity=severity,
                message=f"`os` imported but unused ({i})",
                path=f"src/app/m{i % 7}.py",
                line=i + 1,
                column=8,
                end_line=i + 1,
                end_column=10,
                fixable=True,
                help="https://docs.astral.sh/ruff/rules/unused-import",
                **common,  # type: ignore[arg-type]
            )
        elif kind == 1:
            f = Finding(
                rule="arg-type",
                severity=severity,
                message=f"Argument 1 has incompatible type ({i})",
                path="src/app/types.py",
                line=i + 3,
                help="pass the right type",
                **common,  # type: ignore[arg-type]
            )
        elif kind == 2:
            f = Finding(
                rule="format",
                severity=severity,
                message="file would be reformatted",
                path=f"src/app/fmt{i}.py",
                **common,  # type: ignore[arg-type]
            )
        elif kind == 3:
            f = Finding(
                rule="no-config",
                severity=severity,
                message=f"the project has no mypy configuration ({i})",
                data={"rule_description": "Project has no type-checker configuration"},
                **common,  # type: ignore[arg-type]
            )
        elif kind == 4:
            f = Finding(
                rule="E501",
                severity=Severity.NOTE,
                message=f"Line too long ({i})",
                path="src/app/old.py",
                line=i,
                column=101,
                existing=True,
                **common,  # type: ignore[arg-type]
            )
        else:
            # Inconsistent ends (end before start) must not produce an invalid region.
            f = Finding(
                rule="B006",
                severity=severity,
                message=f"Do not use mutable data structures for argument defaults ({i})",
                path="src/app/defaults.py",
                line=i + 10,
                column=20,
                end_line=i + 9,
                end_column=5,
                **common,  # type: ignore[arg-type]
            )
        out.append(f)
    return tuple(out)


def failing() -> Verdict:
    findings = many_findings()
    return Verdict(
        gate="lint-format",
        status=Status.FAIL,
        summary="120 findings in 30 files",
        checks=(
            Check(name="ruff-check", status=Status.FAIL, duration_ms=90, findings=60),
            Check(name="mypy", status=Status.FAIL, duration_ms=900, findings=60),
            Check(name="format", status=Status.FAIL, duration_ms=20, summary="2 files unformatted"),
        ),
        thresholds=(
            Threshold(name="coverage.total", min=85, actual=83.2, ok=False),
            Threshold(name="duration.max", max=60, actual=12, ok=True),
        ),
        findings=findings,
        next_steps=("run `tools/ci/lint-format.sh --fix` to apply 20 safe fixes",),
        **_envelope(project=Project(root=".", commit="abc", dirty=True, base="origin/main")),  # type: ignore[arg-type]
    )


def error() -> Verdict:
    return Verdict(
        gate="migration-check",
        status=Status.ERROR,
        summary="alembic is not installed in the project interpreter",
        next_steps=("pip install alembic",),
        **_envelope(),  # type: ignore[arg-type]
    )


def error_with_checks() -> Verdict:
    return Verdict(
        gate="run-tests",
        status=Status.ERROR,
        summary="pytest timed out after 600 s",
        checks=(
            Check(name="collect", status=Status.PASS, duration_ms=100),
            Check(name="pytest", status=Status.ERROR, duration_ms=600_000, summary="timed out"),
        ),
        findings=(
            Finding(
                rule="test-failed",
                severity=Severity.ERROR,
                message="assert 1 == 2",
                path="tests/test_x.py",
                line=4,
                check="pytest",
                fingerprint=fingerprint("t"),
            ),
        ),
        next_steps=("raise --timeout",),
        **_envelope(),  # type: ignore[arg-type]
    )


def skipped() -> Verdict:
    return Verdict(
        gate="openapi-lint",
        status=Status.SKIPPED,
        summary="no OpenAPI documents found",
        **_envelope(),  # type: ignore[arg-type]
    )


def skipped_checks() -> Verdict:
    return Verdict(
        gate="seed",
        status=Status.SKIPPED,
        summary="no seed files declared",
        checks=(Check(name="load", status=Status.SKIPPED, summary="nothing to load"),),
        **_envelope(),  # type: ignore[arg-type]
    )


def existing_only() -> Verdict:
    return Verdict(
        gate="lint-format",
        status=Status.PASS,
        summary="no findings on changed lines (2 existing)",
        checks=(Check(name="ruff-check", status=Status.PASS, findings=2),),
        findings=tuple(
            Finding(
                rule="F841",
                severity=Severity.NOTE,
                message="Local variable `x` is assigned to but never used",
                path="src/app/legacy.py",
                line=n,
                check="ruff-check",
                existing=True,
                fingerprint=fingerprint(f"e{n}"),
            )
            for n in (3, 9)
        ),
        **_envelope(project=Project(root=".", commit="abc", dirty=False, base="main")),  # type: ignore[arg-type]
    )


def threshold_only() -> Verdict:
    return Verdict(
        gate="run-tests",
        status=Status.FAIL,
        summary="coverage 70% is below 80%",
        thresholds=(Threshold(name="coverage.total", min=80, actual=None, ok=False),),
        **_envelope(),  # type: ignore[arg-type]
    )


def hostile() -> Verdict:
    return Verdict(
        gate="artifact-validate",
        status=Status.FAIL,
        summary=HOSTILE,
        checks=(
            Check(
                name="schema|check, <1>",
                status=Status.FAIL,
                findings=2,
                summary=HOSTILE,
                command=("va`l", "--x"),
                tool_version="1:2,3",
            ),
        ),
        metrics={"weird|key": HOSTILE, "nested": {"a": [1, 2]}},
        thresholds=(Threshold(name="a|b <c>", min=1, max=2, actual=3, ok=False),),
        findings=(
            Finding(
                rule="R:1,2|<&>",
                severity=Severity.ERROR,
                message=HOSTILE,
                path="docs/my file #1 100%,a:b|c<d>&`.md",
                line=2,
                column=3,
                check="schema|check, <1>",
                help=HOSTILE,
                fingerprint=fingerprint("h1"),
                data={"pointer": "/a/b", "value": HOSTILE},
            ),
            Finding(
                rule="no-path",
                severity=Severity.ERROR,
                message="</details><!-- " + HOSTILE,
                check="schema|check, <1>",
                help="https://example.com/rules/no path (x)",
                fingerprint=fingerprint("h2"),
            ),
            Finding(
                rule="warn",
                severity=Severity.WARNING,
                message="```\n# heading\n- item",
                path="ü/ñ.yaml",
                line=1,
            ),
        ),
        next_steps=(HOSTILE, "run `qualgate x | y` then *celebrate*", "odd ` backtick"),
        **_envelope(reproduce="qualgate artifact-validate 'a b'"),  # type: ignore[arg-type]
    )


def minimal() -> Verdict:
    """Only what the schema requires: empty version, no commit, no reproduce."""
    return Verdict(
        gate="all",
        status=Status.PASS,
        summary="ok",
        started_at=STARTED,
        project=Project(root="."),
    )


SAMPLES = {
    "pass": passing,
    "fail-many": failing,
    "error": error,
    "error-with-checks": error_with_checks,
    "skipped": skipped,
    "skipped-checks": skipped_checks,
    "existing-only": existing_only,
    "threshold-only": threshold_only,
    "hostile": hostile,
    "minimal": minimal,
}
