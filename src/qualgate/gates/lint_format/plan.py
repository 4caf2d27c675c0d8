"""What one run does: the tool behind each selected check, and the job that runs it.

Each check becomes a job returning its `Outcome`; a tool that is missing, too old or
misses the plugins the project declares is that check's ``error`` (the other checks
still run). Pinned versions that differ from the version that ran become ``note``
findings (rule ``tool-version``) at the pin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from qualgate.context import GateContext
from qualgate.errors import GateError, ToolMissing
from qualgate.verdict import Finding

from . import flake8, formatters, invocations, pylint, pyright
from . import mypy as mypy_check
from . import ruff as ruff_check
from .env import Environment, ToolCommand, our_version, path_tool, python_tool
from .projectfiles import ProjectFiles
from .rules import RULES, TOOL_VERSION
from .toolchain import Toolchain
from .tools import Outcome, dot_slash, find_mypy, parse_version

# `ruff check` takes `--output-format` since ruff 0.0.291 (`--format` before, back to
# 0.0.260); `ruff format --diff` exists since 0.1.2.
RUFF_MIN = (0, 0, 260)
RUFF_OUTPUT_FORMAT = (0, 0, 291)
RUFF_FORMAT_MIN = (0, 1, 2)
Job = Callable[[], Outcome]


@dataclass(kw_only=True)
class Plan:
    """The run's shared facts: where things are, which tools, which target."""

    ctx: GateContext
    files: ProjectFiles
    chain: Toolchain
    env: Environment
    ruff: ToolCommand | None = None
    # `--target-version pyXY` for every ruff run, when inferred.
    ruff_extra: tuple[str, ...] = ()
    notes: list[Finding] = field(default_factory=list)
    # Secret values the standards preset found: masked in every finding's text.
    secret_values: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        return self.ctx.root

    def targets(self, check: str, default: tuple[str, ...] = (".",)) -> tuple[str, ...]:
        """What the project points ``check`` at in its own task files, else ``default``."""
        return invocations.targets_and_options(self.chain.invocations.get(check), default)

    def python_tool(self, dist: str, module: str, label: str) -> ToolCommand:
        """``dist`` from the project's env or qualgate's; `ToolMissing` with the command
        that installs the project's own pin."""
        tool = python_tool(self.env, dist, module, self.ctx.remaining())
        if tool is None:
            # A tool installed on its own (pipx, npm -g, a system package); never one the
            # repository ships (see `qualgate.pyenv.shipped`).
            found = path_tool(self.root, dist)
            if found is not None:
                from qualgate import process

                version = process.tool_version((found, "--version"), str(self.root)) or ""
                tool = ToolCommand(prefix=(found,), version=version, source="path")
        if tool is None:
            pin = self.chain.pins.get(dist)
            requirement = f"{dist}{pin.spec}" if pin and pin.spec else dist
            raise ToolMissing(
                f"{label} is not installed (not in the project's environment, beside "
                "qualgate, nor on PATH)",
                f"install it: {self.env.install_hint(requirement)}",
            )
        self.note_pin(dist, tool)
        return tool

    def note_pin(self, dist: str, tool: ToolCommand) -> None:
        """A `tool-version` note when the project pins another version than ran."""
        pin = self.chain.pins.get(dist)
        if pin is None or not pin.spec or not tool.version:
            return
        try:
            if Version(tool.version) in SpecifierSet(pin.spec, prereleases=True):
                return
        except (InvalidVersion, InvalidSpecifier):
            return
        wanted = f"{dist}{pin.spec}"
        where = (
            "from the project's environment"
            if tool.source == "project"
            else "the project's environment does not have it"
        )
        self.notes.append(
            RULES.finding(
                TOOL_VERSION,
                f"the project pins {wanted}; {dist} {tool.version} ran "
                f"({where}): install the pin with {self.env.install_hint(wanted)}",
                path=pin.path,
                line=pin.line,
                check=dist if dist != "ruff" else ruff_check.RUFF_CHECK,
                data={"pinned": pin.spec, "ran": tool.version, "source": tool.source},
            )
        )


def _ruff_job(plan: Plan) -> Job:
    ctx, root = plan.ctx, plan.root

    def job() -> Outcome:
        tool = _ruff_at_least(plan, RUFF_MIN, "qualgate reads ruff 0.0.260 and newer")
        version = parse_version(tool.version)
        return ruff_check.run_check(
            tool.prefix[0],
            root,
            version=tool.version,
            timeout=ctx.remaining(),
            relpath=ctx.relpath,
            extra=plan.ruff_extra,
            legacy_format=version < RUFF_OUTPUT_FORMAT,
            targets=plan.targets("ruff"),
        )

    return job


def _ruff_at_least(plan: Plan, minimum: tuple[int, ...], why: str) -> ToolCommand:
    """The planned ruff, or `GateError` with the upgrade command when it is older."""
    tool = plan.ruff
    if tool is None:  # pragma: no cover - the gate finds ruff before planning
        raise GateError("ruff is not installed", "install ruff")
    if parse_version(tool.version) < minimum:
        spec = "ruff>=" + ".".join(str(n) for n in minimum)
        raise GateError(
            f"ruff {tool.version} is too old: {why}", f"upgrade it: {plan.env.install_hint(spec)}"
        )
    return tool


def _flake8_plugins(plan: Plan, tool: ToolCommand) -> list[str]:
    """Plugins the project declares that the flake8 about to run does not have."""
    if tool.source == "project":
        have = set(plan.env.versions(plan.ctx.remaining()))
        return sorted(
            p for p in plan.chain.plugins if p not in have and not p.startswith("pylint-")
        )
    return sorted(
        p for p in plan.chain.plugins if not p.startswith("pylint-") and not our_version(p)
    )


def jobs(plan: Plan, selected: tuple[str, ...], *, ruff_reports_syntax: bool) -> dict[str, Job]:
    """One job per selected check, keyed by the check's verdict name."""
    ctx, root = plan.ctx, plan.root
    out: dict[str, Job] = {}
    for check in selected:
        if check == "ruff":
            out[ruff_check.RUFF_CHECK] = _ruff_job(plan)
        elif check == "format":
            out[ruff_check.RUFF_FORMAT] = _format_job(plan, ruff_reports_syntax)
        elif check == "black":
            out[formatters.BLACK_CHECK] = lambda: formatters.run_black(
                plan.python_tool("black", "black", "black"),
                root,
                timeout=ctx.remaining(),
                relpath=ctx.relpath,
                targets=plan.targets("black"),
            )
        elif check == "isort":
            out[formatters.ISORT_CHECK] = lambda: formatters.run_isort(
                plan.python_tool("isort", "isort", "isort"),
                root,
                timeout=ctx.remaining(),
                relpath=ctx.relpath,
                targets=plan.targets("isort"),
            )
        elif check == "flake8":
            out[flake8.FLAKE8] = lambda: _run_flake8(plan)
        elif check == "pylint":
            out[pylint.PYLINT] = lambda: _run_pylint(plan)
        elif check == "pyright":
            out[pyright.PYRIGHT] = lambda: _run_pyright(plan)
        elif check == "mypy":
            out[mypy_check.MYPY] = lambda: run_mypy(plan)
    return out


def _format_job(plan: Plan, ruff_reports_syntax: bool) -> Job:
    ctx, root = plan.ctx, plan.root

    def job() -> Outcome:
        tool = _ruff_at_least(plan, RUFF_FORMAT_MIN, "`ruff format --diff` needs ruff 0.1.2")
        return ruff_check.run_format(
            tool.prefix[0],
            root,
            version=tool.version,
            timeout=ctx.remaining(),
            relpath=ctx.relpath,
            # ruff-check already reports a file that does not parse.
            report_parse_errors=not ruff_reports_syntax,
            extra=plan.ruff_extra,
            targets=plan.targets("format"),
        )

    return job


def _run_flake8(plan: Plan) -> Outcome:
    tool = plan.python_tool("flake8", "flake8", "flake8")
    missing = _flake8_plugins(plan, tool)
    if missing:
        raise ToolMissing(
            f"flake8 plugins the project declares are not installed where flake8 runs: "
            f"{', '.join(missing)} (without them their codes would pass unchecked)",
            f"install them: {plan.env.install_hint(' '.join(missing))}",
        )
    return flake8.run(
        tool,
        plan.root,
        timeout=plan.ctx.remaining(),
        relpath=plan.ctx.relpath,
        targets=plan.targets("flake8"),
    )


def _run_pylint(plan: Plan) -> Outcome:
    tool = plan.python_tool("pylint", "pylint", "pylint")
    default = tuple(mypy_check.default_targets(plan.root)) or (".",)
    recursive = ("--recursive=y",) if parse_version(tool.version) >= (2, 13) else ()
    return pylint.run(
        tool,
        plan.root,
        timeout=plan.ctx.remaining(),
        relpath=plan.ctx.relpath,
        targets=(*recursive, *plan.targets("pylint", dot_slash(default))),
    )


def _run_pyright(plan: Plan) -> Outcome:
    dist = "basedpyright" if plan.chain.basedpyright else "pyright"
    tool = plan.python_tool(dist, dist, dist)
    return pyright.run(
        tool,
        plan.root,
        python=plan.env.python,
        timeout=plan.ctx.remaining(),
        relpath=plan.ctx.relpath,
    )


def run_mypy(plan: Plan) -> Outcome:
    from qualgate.verdict import Check, Status

    pin = plan.chain.pins.get("mypy")
    command = find_mypy(plan.env, plan.ctx.remaining(), f"mypy{pin.spec}" if pin else None)
    plan.note_pin(
        "mypy", ToolCommand(prefix=command.prefix, version=command.version, source=command.source)
    )
    targets: list[str] = []
    if not mypy_check.config_names_files(plan.files):
        found = plan.chain.invocations.get("mypy")
        targets = list(found.targets) if found else mypy_check.default_targets(plan.root)
        if not targets:
            return Outcome(
                check=Check(
                    name=mypy_check.MYPY,
                    status=Status.SKIPPED,
                    tool_version=command.version,
                    summary="no packages to type-check (set `files` in the mypy config)",
                )
            )
    return mypy_check.run(
        command, plan.root, targets=targets, timeout=plan.ctx.remaining(), relpath=plan.ctx.relpath
    )
