"""The gate registry: one entry per gate, imported only when that gate runs.

Every gate is a package ``qualgate.gates.<name>`` with the same skeleton:

- ``gate.py``, the entry module:
  - ``OPTIONS: tuple[Option, ...]``: its options (also its config keys);
  - ``DEFAULT_TIMEOUT: float``: seconds, the default of ``--timeout``;
  - ``run(ctx: GateContext) -> Verdict``;
  - optionally ``PASSTHROUGH = True`` when arguments after ``--`` go to its tool;
  - optionally ``BASE_SCOPED``: the names of its checks whose findings are judged by
    the lines changed since ``--base`` (the pipeline marks the others' findings
    existing); ``policy.ALL_CHECKS`` for all of them;
  - optionally ``COMMANDS``: extra commands the gate owns (run-tests owns ``merge``);
- ``rules.py``: ``RULES``, its rule catalogue (`qualgate.rules.Catalogue`);
- ``inproject/``: code that runs in the project's interpreter (imports nothing of qualgate).

``all`` is not a gate package: it is the composite beside the run pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from qualgate.context import GateContext
    from qualgate.options import Option
    from qualgate.rules import Catalogue
    from qualgate.verdict import Verdict


@dataclass(frozen=True, kw_only=True, slots=True)
class GateInfo:
    name: str
    module: str
    help: str
    wrapper: str
    # The module holding the gate's rule catalogue (`RULES`), when it has one.
    rules: str | None = None
    # Extra commands the gate owns: name -> one-line help (listed without importing it).
    commands: Mapping[str, str] = field(default_factory=dict)


class GateModule(Protocol):
    OPTIONS: tuple[Option, ...]
    DEFAULT_TIMEOUT: float
    run: Callable[[GateContext], Verdict]


@dataclass(frozen=True, kw_only=True, slots=True)
class ExtraCommand:
    """A command a gate owns besides its own (``qualgate merge`` of run-tests).

    It takes files as arguments plus the common output options; ``run`` gets a context
    for the gate and the files, and returns a verdict that the pipeline finalizes,
    writes and renders like the gate's own.
    """

    name: str
    help: str
    metavar: str
    run: Callable[[GateContext, tuple[Path, ...]], Verdict]


GATES: dict[str, GateInfo] = {
    info.name: info
    for info in (
        GateInfo(
            name="run-tests",
            module="qualgate.gates.run_tests.gate",
            rules="qualgate.gates.run_tests.rules",
            help="Run the test suite under coverage and check coverage thresholds.",
            wrapper="tools/ci/run-tests.sh",
            commands={"merge": "Combine run-tests shard verdicts into one verdict."},
        ),
        GateInfo(
            name="lint-format",
            module="qualgate.gates.lint_format.gate",
            rules="qualgate.gates.lint_format.rules",
            help="Lint, format and type-check with the project's own tools (ruff, flake8, mypy).",
            wrapper="tools/ci/lint-format.sh",
        ),
        GateInfo(
            name="openapi-lint",
            module="qualgate.gates.openapi_lint.gate",
            rules="qualgate.gates.openapi_lint.rules",
            help="Validate OpenAPI documents (committed or generated from the app), check the app "
            "against its contract, find breaking changes.",
            wrapper="tools/ci/openapi-lint.sh",
        ),
        GateInfo(
            name="migration-check",
            module="qualgate.gates.migration_check.gate",
            rules="qualgate.gates.migration_check.rules",
            help="Prove Alembic migrations upgrade, match the models and downgrade.",
            wrapper="tools/db/migration-check.sh",
        ),
        GateInfo(
            name="seed",
            module="qualgate.gates.seed.gate",
            rules="qualgate.gates.seed.rules",
            help="Load declared seed data idempotently, all or nothing.",
            wrapper="tools/db/seed.sh",
        ),
        GateInfo(
            name="dependency-scan",
            module="qualgate.gates.dependency_scan.gate",
            rules="qualgate.gates.dependency_scan.rules",
            help="Find known-vulnerable, unpinned or disallowed dependencies.",
            wrapper="tools/security/dependency-scan.sh",
        ),
        GateInfo(
            name="artifact-validate",
            module="qualgate.gates.artifact_validate.gate",
            rules="qualgate.gates.artifact_validate.rules",
            help="Validate RFCs, ADRs, contracts and config files against schemas.",
            wrapper="tools/artifact/validate.sh",
        ),
        GateInfo(
            name="integrity",
            module="qualgate.gates.integrity.gate",
            rules="qualgate.gates.integrity.rules",
            help="Find what makes work look done without doing it (skips, noqa, lowered bars).",
            wrapper="tools/ci/integrity.sh",
        ),
        GateInfo(
            name="all",
            module="qualgate.composite",
            help="Run every configured gate and combine their verdicts.",
            wrapper="tools/ci/all.sh",
        ),
    )
}


def catalogue_of(name: str) -> Catalogue | None:
    """A gate's rule catalogue (None for a gate without one, or not yet written)."""
    module = GATES[name].rules
    if module is None:
        return None
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    rules: Catalogue = found.RULES
    return rules


def load(name: str) -> GateModule:
    """Import a gate's module (raises KeyError for an unknown gate)."""
    return cast("GateModule", importlib.import_module(GATES[name].module))
