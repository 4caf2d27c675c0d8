"""A tiny gate used by the CLI and runner tests; its behaviour follows its options."""

from __future__ import annotations

from qualgate import process
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.options import Kind, Option
from qualgate.verdict import Check, Finding, Severity, Status, Verdict, derive_status, plural

DEFAULT_TIMEOUT = 30.0
PASSTHROUGH = True
OPTIONS = (
    Option(
        name="mode",
        kind=Kind.CHOICE,
        choices=("pass", "fail", "skip", "gate-error", "crash", "sleep", "interrupt", "spin"),
        default="pass",
        help="What the fake gate does.",
    ),
    Option(name="level", kind=Kind.INT, min=0, max=10, default=3, help="A number."),
    Option(name="ratio", kind=Kind.FLOAT, min=0, max=1, default=0.5, help="A ratio."),
    Option(name="names", kind=Kind.LIST, default=("a",), help="Some names."),
    Option(name="data-file", kind=Kind.PATH, default=None, help="A file."),
    Option(name="rules", kind=Kind.JSON, default=None, help="Structured rules."),
    Option(name="strict", kind=Kind.BOOL, default=False, help="Strictness."),
    Option(name="list-things", help="Print the things.", action=lambda: "thing-a\nthing-b\n"),
)


def run(ctx: GateContext) -> Verdict:
    mode = ctx.option("mode")
    if mode == "gate-error":
        raise GateError("the fake tool is missing", "pip install fake-tool")
    if mode == "crash":
        raise RuntimeError("unexpected boom")
    if mode == "interrupt":
        raise KeyboardInterrupt
    if mode == "sleep":
        process.run(["sleep", "30"], cwd=ctx.root, timeout=ctx.remaining())
    if mode == "spin":
        while True:  # in-process work that never ends: only the pipeline's deadline stops it
            pass
    if mode == "skip":
        return Verdict(gate=ctx.gate, status=Status.SKIPPED, summary="nothing to check")
    findings: list[Finding] = []
    if mode == "fail":
        findings.append(
            Finding(
                rule="F1",
                severity=Severity.ERROR,
                message="bad thing",
                path="app.py",
                line=2,
                check="fake",
            )
        )
    checks = [Check(name="fake", status=derive_status(findings=findings), findings=len(findings))]
    return Verdict(
        gate=ctx.gate,
        status=derive_status(checks, findings),
        summary=plural(len(findings), "finding"),
        checks=tuple(checks),
        findings=tuple(findings),
        metrics={
            "level": ctx.option("level"),
            "ratio": ctx.option("ratio"),
            "names": list(ctx.option("names")),
            "data_file": str(ctx.option("data-file")) if ctx.option("data-file") else None,
            "rules": ctx.option("rules"),
            "strict": ctx.option("strict"),
            "extra": list(ctx.extra_args),
        },
    )
