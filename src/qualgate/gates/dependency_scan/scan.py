"""The scan itself: inputs -> lookups -> policies -> one verdict."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

from qualgate import pyenv
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.fsutil import escapes_root
from qualgate.gates.dependency_scan import offline, report, sources
from qualgate.gates.dependency_scan.lookup import Lookup, lookup_offline, lookup_online
from qualgate.gates.dependency_scan.model import Dependency, Inputs, PinKind, Problem
from qualgate.gates.dependency_scan.policy import Ignore, parse_ignores
from qualgate.gates.dependency_scan.sources import discover, installed
from qualgate.gates.dependency_scan.sources._common import Rel
from qualgate.redact import mask
from qualgate.verdict import Check, Status, Verdict


def default_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/qualgate`` or ``~/.cache/qualgate``; None without a home folder."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no HOME and no passwd entry: run without a cache
            return None
    return Path(base) / "qualgate"


def _resolve_file(ctx: GateContext, name: str) -> Path:
    path = Path(name).expanduser()
    if path.is_absolute():
        return path
    # Relative to the project root first (config and wrapper use), then the working dir.
    for base in (ctx.root, Path.cwd()):
        if (base / path).exists():
            return base / path
    return ctx.root / path


def _shower(ctx: GateContext) -> Rel:
    """How a file is shown: relative to the project root, ``../x`` above it (a workspace
    lock), absolute only outside the repository (never read, only named)."""
    root = os.path.abspath(ctx.root)

    def shown(path: Path) -> str:
        text = os.path.abspath(path)
        if text == root or text.startswith(root + os.sep):
            return ctx.relpath(path)
        relative = os.path.relpath(text, root).replace(os.sep, "/")
        return relative if relative.count("../") < 8 else Path(text).as_posix()

    return shown


def _merge(one: Inputs, two: Inputs) -> Inputs:
    return Inputs(
        dependencies=one.dependencies + two.dependencies,
        problems=one.problems + two.problems,
        files=one.files + tuple(f for f in two.files if f not in one.files),
        locked=one.locked | two.locked,
        locks=one.locks + two.locks,
        project=one.project or two.project,
        consulted=one.consulted + two.consulted,
    )


def collect(ctx: GateContext) -> Inputs:
    """Read every input the options name (or that detection finds)."""
    names: tuple[str, ...] = ctx.option("file") or ()
    paths = [_resolve_file(ctx, n) for n in names]
    want_installed = bool(ctx.option("installed"))
    top = discover.repository_root(ctx.root)
    shown = _shower(ctx)
    detected = not paths and not want_installed
    if detected:
        paths = sources.detect(ctx.root)
    inputs = sources.read_files(paths, shown, top)
    name = discover.project_name(ctx.root)
    inputs = dataclasses.replace(inputs, project=name)
    ctx.note_inputs(*inputs.consulted)  # includes: their existence decides the answer
    if detected and name and not inputs.locks:
        # A workspace member: its lock sits at the workspace root, above the project.
        ctx.note_inputs(*discover.upward_candidates(ctx.root, top))
        upward = discover.upward_locks(ctx.root, top)
        if upward:
            found = sources.read_files(upward, shown, top)
            if name in found.locked:
                inputs = _merge(inputs, found)
    if want_installed:
        interp = _interpreter(ctx)
        python = interp.path
        env = installed.parse(python, ctx.relpath, cwd=ctx.root, timeout=ctx.remaining())
        problems = inputs.problems
        if not interp.own:
            # No --python, no venv, none active: the environment read is qualgate's own
            # (right when the project is installed beside qualgate, as in many CI jobs).
            problems += (
                Problem(
                    rule="installed-interpreter",
                    message="no project interpreter found (no .venv in the project or its "
                    f"workspace, no $VIRTUAL_ENV): scanned the "
                    f"environment qualgate runs in ({python}); pass --python to choose",
                    path=None,
                    blocking=False,
                    note=True,
                ),
            )
        inputs = dataclasses.replace(
            inputs,
            dependencies=inputs.dependencies + tuple(env.dependencies),
            problems=problems,
            files=inputs.files + tuple(env.files),
        )
    return inputs


def _interpreter(ctx: GateContext) -> pyenv.Interpreter:
    """The interpreter ``--installed`` runs (`qualgate.pyenv`), but never one the
    repository delivered (the trust rule SECURITY.md states for every reader gate)."""
    found = ctx.interpreter(trusted=True)
    if found.refused:
        shown, why = found.refused[0]
        raise GateError(
            f"{why}: it is not run to list the installed distributions",
            f"pass --python {shown} (or $QUALGATE_DEPENDENCY_SCAN_PYTHON) if you "
            "made that environment yourself, or an interpreter you trust",
        )
    return found


def _lookup(ctx: GateContext, pinned: list[Dependency]) -> Lookup:
    db_path: Path | None = ctx.option("vuln-db")
    cache_dir: Path | None = ctx.option("cache-dir") or default_cache_dir()
    if db_path is not None:
        ctx.progress(f"loading the offline database {db_path}")
        db = offline.load(db_path, cache_dir)
        result = lookup_offline(db, pinned, ctx.relpath(db.path))
        if db.unreadable:
            shown = ", ".join(f"{name} ({why})" for name, why in db.unreadable[:3])
            result.notes.append(
                f"{len(db.unreadable)} unreadable record file(s) in {db.path}: {shown}"
            )
        return result
    if ctx.option("offline"):
        raise GateError(
            "--offline without --vuln-db: no vulnerability data to check against",
            "pass --vuln-db PATH (a folder of OSV records or an OSV .zip), or drop --offline",
        )
    url: str = ctx.option("osv-url")
    ctx.progress(f"asking {mask(url)} about {len(pinned)} dependencies")
    return lookup_online(
        url,
        pinned,
        cache_dir=cache_dir,
        timeout=float(ctx.option("network-timeout")),
        retries=int(ctx.option("retries")),
        deadline=ctx.remaining,
        backoff=float(os.environ.get("QUALGATE_OSV_BACKOFF", "0.5")),
    )


def scan(ctx: GateContext) -> Verdict:
    start = time.monotonic()
    inputs = collect(ctx)
    inputs_ms = int((time.monotonic() - start) * 1000)
    if not inputs.dependencies and not inputs.problems:
        if not inputs.files:
            return Verdict(
                gate=ctx.gate,
                status=Status.SKIPPED,
                summary="no dependency files found (looked for *requirements*.txt, "
                "requirements/*.txt, *.lock files, pylock.toml, package-lock.json, "
                "pyproject.toml)",
                checks=(Check(name="inputs", status=Status.SKIPPED, duration_ms=inputs_ms),),
                next_steps=("name files with --file, or scan the environment with --installed",),
            )
        return Verdict(
            gate=ctx.gate,
            status=Status.SKIPPED,
            summary=f"no dependencies declared in {', '.join(inputs.files)}",
            checks=(Check(name="inputs", status=Status.SKIPPED, duration_ms=inputs_ms),),
            metrics={"files": list(inputs.files), "dependencies": 0},
        )
    pinned = [d for d in inputs.dependencies if d.kind is PinKind.PINNED]
    result: Lookup | None = None
    if pinned:
        result = _lookup(ctx, pinned)
    ignores: tuple[Ignore, ...] = parse_ignores(ctx.option("ignore"))
    builder = report.Report(
        ctx=ctx,
        inputs=inputs,
        lookup=result,
        ignores=ignores,
        threshold=str(ctx.option("fail-on-severity")),
        unknown=str(ctx.option("unknown-severity")),
        require_pins=bool(ctx.option("require-pins")),
        allow=tuple(ctx.option("license-allow") or ()),
        deny=tuple(ctx.option("license-deny") or ()),
        today=dt.date.today(),
        inputs_ms=inputs_ms,
    )
    verdict = builder.build()
    sbom_path: Path | None = ctx.option("sbom")
    if sbom_path is not None:
        from qualgate.gates.dependency_scan import sbom

        if escapes_root(sbom_path, ctx.root):
            raise GateError(
                f"--sbom {ctx.relpath(sbom_path)} leads outside the project through a symbolic "
                "link: not written",
                "name a path whose folders are not links out of the project",
            )
        sbom.write(
            sbom_path, sbom.render(ctx.root.name, inputs.dependencies, builder.vulns_by_package)
        )
    return verdict
