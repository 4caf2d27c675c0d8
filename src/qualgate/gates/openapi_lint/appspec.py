"""Generating the OpenAPI document from the project's app, in the project's interpreter.

`inproject/spec_worker.py` imports the app there (its packages are the project's) with
the network, servers and databases blocked, and writes the document plus where each
operation and schema is declared in the code; this module runs it, and turns its
answer into a `Document` whose findings point at that code. At ``--base``, the same is
done in a temporary copy of the tree at that commit (``git archive``: the repository's
own ``.git`` is not touched, and no checkout hook or filter runs).

The app's environment: our own, plus the project's ``.env`` (for the variables not
already set), plus ``--app-env``. Those values are secrets as often as not: an error
message quoting one is masked.
"""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate import git, process, pyenv
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.fsutil import ReadRefused, read_text_bounded
from qualgate.gates.openapi_lint import dotenv
from qualgate.gates.openapi_lint.appdetect import Candidate
from qualgate.gates.openapi_lint.discovery import inside
from qualgate.gates.openapi_lint.loader import Document, SourceMap
from qualgate.redact import mask
from qualgate.verdict import Check, Status

WORKER = Path(__file__).with_name("inproject") / "spec_worker.py"
_MAX_DOTENV = 1024 * 1024
_MAX_RESULT = 256 * 1024 * 1024
HINT = (
    "give the app the environment it needs (--app-env KEY=VALUE, or the project's .env), "
    "name it with --app module:attr, or skip generating with --app off"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class AppEnv:
    """The variables the app gets beyond ours, and the values to mask in messages."""

    variables: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Generated:
    """A document generated from the app, and the check that says how."""

    doc: Document
    framework: str
    target: str
    check: Check
    blocked: tuple[str, ...] = ()


def app_env(ctx: GateContext) -> AppEnv:
    """``.env`` (a regular file inside the root; ours win over it) and ``--app-env``."""
    found: dict[str, str] = {}
    path = ctx.root / ".env"
    if path.is_file() and inside(path, ctx.root):
        try:
            found = dotenv.parse(read_text_bounded(path, _MAX_DOTENV, errors="replace"))
        except (ReadRefused, OSError):
            found = {}
    variables = {k: v for k, v in found.items() if k not in os.environ}
    try:
        given = dotenv.overrides(ctx.option("app-env") or (), os.environ)
    except dotenv.EnvError as exc:
        raise GateError(
            f"--app-env {exc}", "write each as KEY=VALUE (or KEY to pass ours)"
        ) from exc
    variables.update(given)
    secrets = tuple(v for v in {*found.values(), *given.values()} if len(v) >= 3)
    return AppEnv(variables=variables, secrets=secrets)


def generate(
    ctx: GateContext, app: Candidate, env: AppEnv, *, root: Path | None = None
) -> Generated:
    """The app's document, generated in the project's interpreter (`GateError` if not)."""
    where = root or ctx.root
    python = ctx.python()
    argv = (python, "-B", str(WORKER))
    with tempfile.TemporaryDirectory(prefix="qualgate-spec-") as tmp:
        out = Path(tmp) / "spec.json"
        variables = {
            **env.variables,
            "QUALGATE_APP": app.target,
            "QUALGATE_SPEC_OUT": str(out),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if app.settings and "DJANGO_SETTINGS_MODULE" not in {**os.environ, **env.variables}:
            variables["DJANGO_SETTINGS_MODULE"] = app.settings
        done = process.run(
            argv,
            cwd=where,
            timeout=ctx.remaining(),
            env=variables,
            install_hint="point --python at the project's interpreter (e.g. .venv/bin/python)",
        )
        result = _result(out)
    if result is None:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(
            mask(
                f"generating the OpenAPI document of {app.target} failed: the generator "
                f"({python}) exited {done.returncode}: {last[:300]}",
                env.secrets,
            ),
            "point --python at the project's interpreter (e.g. .venv/bin/python)",
        )
    if not result.get("ok"):
        at = f" (at {result['where']})" if result.get("where") else ""
        # One line: a settings error lists each missing variable on its own line.
        error = "; ".join(
            line.strip() for line in str(result.get("error")).splitlines() if line.strip()
        )
        if len(error) > 600:
            error = error[:597] + "..."
        why = pyenv.unsupported(where, python)
        raise GateError(
            mask(f"cannot generate the OpenAPI document of {app.target}: {error}{at}", env.secrets)
            + (f"; {why}" if why else ""),
            f"point --python at an interpreter the project supports (or {HINT})" if why else HINT,
        )
    return _generated(result, app, argv, done.duration_ms, where)


def _result(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(read_text_bounded(path, _MAX_RESULT))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _generated(
    result: dict[str, Any], app: Candidate, argv: tuple[str, ...], ms: int, root: Path
) -> Generated:
    spec = result.get("spec")
    raw_sources = result.get("sources") or {}
    entries: dict[str, tuple[str, int]] = {}
    for pointer, value in raw_sources.items():
        if _location(value) is not None:
            entries[str(pointer)] = _location(value)  # type: ignore[assignment]
    fallback = _location(result.get("app_source")) or (app.path, app.line)
    blocked = tuple(str(b) for b in result.get("blocked") or ())
    framework = str(result.get("framework") or app.framework)
    operations = sum(
        1
        for item in ((spec or {}).get("paths") or {}).values()
        if isinstance(item, dict)
        for method in item
        if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    )
    summary = f"{framework} app {app.target}: {operations} operations"
    if blocked:
        summary += "; blocked while importing: " + ", ".join(blocked[:3])
    doc = Document(
        path=root / fallback[0],
        rel=fallback[0],
        data=spec,
        text=json.dumps(spec),
        is_json=True,
        sources=SourceMap(entries=entries, fallback=fallback),
    )
    check = Check(
        name="generate",
        status=Status.PASS,
        duration_ms=ms,
        command=argv,
        summary=summary,
    )
    return Generated(doc=doc, framework=framework, target=app.target, check=check, blocked=blocked)


def _location(value: Any) -> tuple[str, int] | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and value[1] >= 1
        and not value[0].startswith(("/", "../"))
    ):
        return value[0], value[1]
    return None


def generate_at_base(ctx: GateContext, app: Candidate, env: AppEnv) -> Generated | str | None:
    """The app's document at ``--base``: None when the app did not exist there, a reason
    string when it could not be generated."""
    if ctx.base is None:
        return None
    commit = git.verify_ref(ctx.root, ctx.base)
    prefix = process.run(["git", "rev-parse", "--show-prefix"], cwd=ctx.root, timeout=60)
    tree = f"{commit}:{prefix.stdout.strip()}" if prefix.returncode == 0 else commit
    with tempfile.TemporaryDirectory(prefix="qualgate-base-") as tmp:
        archive = Path(tmp) / "base.tar"
        copy = Path(tmp) / "tree"
        done = process.run(
            ["git", "archive", "--format=tar", "-o", str(archive), tree],
            cwd=ctx.root,
            timeout=ctx.remaining(),
        )
        if done.returncode != 0:
            return f"git archive {ctx.base} failed: {done.stderr.strip()[:200]}"
        copy.mkdir()
        with tarfile.open(archive) as handle:
            handle.extractall(copy, filter="data")
        if not (copy / app.path).is_file():
            return None  # the app is new since the base: nothing it could break
        try:
            return generate(ctx, app, env, root=copy)
        except GateError as exc:
            return exc.reason
