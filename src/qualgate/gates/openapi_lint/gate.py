"""The openapi-lint gate: valid, well-formed OpenAPI documents with located findings.

For each committed document (Swagger 2.0, OpenAPI 3.0/3.1): safe loading with
positions, ``$ref`` resolution, the structure check against the official schema, the
built-in ruleset, and with ``--base REF`` / ``--against FILE`` the breaking changes
from the older version. For a code-first app (FastAPI, Starlette, Litestar, Django
Ninja, DRF + drf-spectacular, flask-smorest, apispec): the document generated from
the app (`appspec`), linted with findings in the code, compared at ``--base``, and
checked against the contract (`contract`). See docs/gates/openapi-lint.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from qualgate import policy, pyenv
from qualgate.context import GateContext
from qualgate.gates.openapi_lint import report
from qualgate.gates.openapi_lint.rules import RULES
from qualgate.options import Kind, Option
from qualgate.verdict import Severity, Verdict

if TYPE_CHECKING:
    from qualgate.cache.inputs import Inputs
    from qualgate.gates.openapi_lint.lint import Settings

DEFAULT_TIMEOUT = 300.0
# Findings of the load, refs, structure and rules checks off the lines changed since
# --base are existing ones (see `report`).
BASE_SCOPED = report.BASE_SCOPED
_LEVELS = ("error", "warning", "note", "off")
_APP = re.compile(r"^(?:auto|off|django|[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*)?)$")


def _validate_rules(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(
            'expects a table of rule id -> "error"|"warning"|"note"|"off", '
            'e.g. {operation-description = "off"}'
        )
    out: dict[str, str] = {}
    for key, level in value.items():
        rule = RULES.get(key)
        if rule is None:
            raise ValueError(f"unknown rule {key!r} (see --list-rules)")
        if level not in _LEVELS:
            raise ValueError(f"rule {key}: expects one of {', '.join(_LEVELS)}, got {level!r}")
        if not rule.configurable and level != rule.severity.value:
            raise ValueError(
                f"rule {key} cannot be changed: without it the document is not checked"
            )
        out[key] = level
    return out


def _validate_app(value: object) -> str:
    if not isinstance(value, str) or not _APP.match(value):
        raise ValueError("expects auto, off, django or module:attr (e.g. app.main:app)")
    return value


OPTIONS = (
    Option(
        name="specs",
        kind=Kind.LIST,
        default=(),
        metavar="GLOB",
        help="OpenAPI documents to check (globs relative to the root). Default: "
        "openapi.{yaml,yml,json}, swagger.{yaml,yml,json}, **/openapi*.{yaml,yml,json}.",
    ),
    Option(
        name="app",
        default="auto",
        validate=_validate_app,
        expects="auto, off, django or module:attr",
        metavar="MODULE:ATTR",
        help="The app to generate the OpenAPI document from (FastAPI, Starlette, Litestar, "
        "NinjaAPI, flask-smorest Api, APISpec, or a factory): module:attr; `django` for DRF "
        "with drf-spectacular; `auto` (default) finds it; `off` never imports the project.",
    ),
    Option(
        name="app-env",
        kind=Kind.LIST,
        default=(),
        metavar="KEY=VALUE",
        secret=True,
        help="Environment the app needs to import (repeatable; KEY alone passes ours on). "
        "The project's .env is read too. Values are masked in every output.",
    ),
    Option(
        name="contract",
        kind=Kind.PATH,
        metavar="FILE",
        help="The agreed OpenAPI contract to check the app's generated document against "
        "(default: the committed document, when there is exactly one).",
    ),
    pyenv.python_option("that imports the app", cli_only=True),
    Option(
        name="rules",
        kind=Kind.JSON,
        default={},
        validate=_validate_rules,
        expects='a table of rule id -> "error"|"warning"|"note"|"off"',
        metavar="JSON",
        help='Rule severities, e.g. \'{"operation-description": "off"}\' (see --list-rules).',
    ),
    Option(
        name="against",
        kind=Kind.PATH,
        metavar="FILE",
        help="Report breaking changes from FILE (the older version) to the document.",
    ),
    Option(
        name="allow-remote-refs",
        kind=Kind.BOOL,
        default=False,
        cli_only=True,
        help="Fetch http(s) $refs (never fetched otherwise; command line or environment only).",
    ),
    Option(
        name="max-size-mb",
        kind=Kind.FLOAT,
        default=64.0,
        min=0.001,
        metavar="MB",
        help="Refuse documents larger than this (default 64).",
    ),
)


def INPUTS(ctx: GateContext) -> Inputs:
    """What an answer depends on, for the result cache (`qualgate.cache.inputs`).

    Generating the document imports the app, which may read any file of the project and
    any environment variable, with whatever is installed in its interpreter: unless
    ``--app off``, every file, variable and the interpreter are the key.
    """
    from qualgate.cache.inputs import EVERY_FILE, EVERY_VARIABLE, Inputs, outside_root

    named = [p for p in ctx.option("specs") or () if Path(p).is_absolute() or p.startswith("..")]
    outside = outside_root(ctx, ctx.option("against"), ctx.option("contract"), *named)
    skip = (
        "--allow-remote-refs reads documents over the network"
        if ctx.option("allow-remote-refs")
        else None
    )
    if ctx.option("app") != "off":
        return Inputs(files=EVERY_FILE, outside=outside, env=EVERY_VARIABLE, skip=skip)
    return Inputs(
        files=("**/*.yaml", "**/*.yml", "**/*.json", "pyproject.toml", "qualgate.toml"),
        outside=outside,
        env=("PATH", "VIRTUAL_ENV", "PYTHON*"),
        python=False,
        skip=skip,
    )


def _settings(ctx: GateContext) -> Settings:
    from qualgate.gates.openapi_lint.lint import Settings

    levels = ctx.option("rules") or {}
    severities = {k: (None if v == "off" else Severity(v)) for k, v in levels.items()}
    return Settings(
        allow_remote=bool(ctx.option("allow-remote-refs")),
        max_bytes=int(float(ctx.option("max-size-mb")) * 1024 * 1024),
        severities=severities,
    )


def run(ctx: GateContext) -> Verdict:
    """Check every discovered OpenAPI document, and the app's generated one."""
    # Loading builds millions of small objects: see `lint` for what pausing the GC saves.
    with policy.gc_paused():
        from qualgate.gates.openapi_lint.checking import Run

        return Run(ctx, _settings(ctx)).verdict()
