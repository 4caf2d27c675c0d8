"""A gate for the result cache's tests: it declares narrow inputs, reads and lists files
in-process, and can change a file while it runs; its options say what it does."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from qualgate.cache.inputs import Inputs
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.fsutil import read_text_bounded
from qualgate.options import Kind, Option
from qualgate.verdict import Check, Finding, Severity, Verdict, derive_status

DEFAULT_TIMEOUT = 60.0
OPTIONS = (
    Option(
        name="mode",
        kind=Kind.CHOICE,
        choices=("pass", "fail", "error"),
        default="pass",
        help="What to answer.",
    ),
    Option(name="read", kind=Kind.LIST, default=(), help="Files to read in-process."),
    Option(name="list", kind=Kind.LIST, default=(), help="Folders to list in-process."),
    Option(name="touch", default=None, help="A file to change while running."),
    Option(name="tools", kind=Kind.LIST, default=(), help="Declared tools."),
    Option(name="outside", kind=Kind.LIST, default=(), help="Declared outside files."),
    Option(name="log", default=None, help="Append start/end times to this file."),
    Option(name="sleep", kind=Kind.FLOAT, default=0.0, help="Seconds to sleep."),
    Option(name="database", kind=Kind.BOOL, default=False, help="Declare a database gate."),
    Option(name="after", kind=Kind.LIST, default=(), help="Gates whose verdict it reads."),
)


def INPUTS(ctx: GateContext) -> Inputs:
    return Inputs(
        files=("*.cfg", "conf/**"),
        env=("CACHE_GATE_*",),
        tools=tuple(ctx.option("tools")),
        outside=tuple(ctx.option("outside")),
        python=False,
        database=bool(ctx.option("database")),
        after=tuple(ctx.option("after")),
    )


def run(ctx: GateContext) -> Verdict:
    log = ctx.option("log")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            entry = {"gate": ctx.gate, "start": time.time(), "pid": os.getpid()}
            handle.write(json.dumps(entry) + "\n")
    if ctx.option("sleep"):
        time.sleep(float(ctx.option("sleep")))
    if ctx.option("mode") == "error":
        raise GateError("cannot check", "install the thing")
    texts = [read_text_bounded(ctx.root / p) for p in ctx.option("read")]
    listed = [sorted(os.listdir(ctx.root / p)) for p in ctx.option("list")]
    if ctx.option("touch"):
        target = Path(ctx.root / ctx.option("touch"))
        target.write_text(target.read_text(encoding="utf-8") + "x\n", encoding="utf-8")
    findings: list[Finding] = []
    if ctx.option("mode") == "fail":
        findings.append(
            Finding(
                rule="C1",
                severity=Severity.ERROR,
                message="bad",
                path="a.cfg",
                line=1,
                check="cache",
            )
        )
    checks = [Check(name="cache", status=derive_status(findings=findings))]
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"gate": ctx.gate, "end": time.time()}) + "\n")
    return Verdict(
        gate=ctx.gate,
        status=derive_status(checks, findings),
        summary=f"{len(findings)} findings",
        checks=tuple(checks),
        findings=tuple(findings),
        metrics={"texts": texts, "listed": listed, "pid": os.getpid(), "at": time.time()},
    )
