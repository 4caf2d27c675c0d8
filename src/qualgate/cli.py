"""The thin click layer: parse options, run the gate inside the error boundary, render, exit.

Gate commands are built from the gate registry and each gate's option specs, and only
the invoked gate's module is imported, so ``qualgate --version`` stays fast.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from click.core import ParameterSource

from qualgate import __version__
from qualgate.gates import GATES
from qualgate.render import RENDERERS

FORMATS = tuple(RENDERERS)
_EXTRA = "qualgate.extra_args"
_OTHER_COMMANDS = {
    "config": "Show the effective configuration of each gate and where each value comes from.",
    "schema": "Print the verdict JSON Schema.",
    "merge": "Combine run-tests shard verdicts into one verdict.",
}


# ---------------------------------------------------------------------------
# Building gate commands from option specs


def _click_option(opt: Any) -> click.Option:
    from qualgate.options import Kind

    decls = [f"--{opt.name}"]
    kwargs: dict[str, Any] = {"help": opt.help, "default": None, "show_envvar": True}
    if opt.metavar:
        kwargs["metavar"] = opt.metavar
    if opt.action is not None:
        action = opt.action

        def _run_action(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
            if value and not ctx.resilient_parsing:
                click.echo(action(), nl=False)
                ctx.exit(0)

        return click.Option(
            decls,
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_run_action,
            help=opt.help,
        )
    if opt.kind is Kind.BOOL:
        decls = [f"--{opt.name}/--no-{opt.name}"]
    elif opt.kind is Kind.LIST:
        kwargs["multiple"] = True
        kwargs["default"] = None
    elif opt.kind is Kind.INT:
        kwargs["type"] = int
    elif opt.kind is Kind.FLOAT:
        kwargs["type"] = float
    elif opt.kind is Kind.CHOICE:
        kwargs["type"] = click.Choice(opt.choices)
    return click.Option(decls, **kwargs)


class GateCommand(click.Command):
    """A gate's command; optionally takes ``-- ARGS`` for the gate's tool."""

    def __init__(self, *args: Any, passthrough: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.passthrough = passthrough

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            index = args.index("--")
            if not self.passthrough:
                raise click.UsageError(f"{self.name} takes no arguments after `--`", ctx)
            ctx.meta[_EXTRA] = tuple(args[index + 1 :])
            args = args[:index]
        return super().parse_args(ctx, args)


def _shared_params() -> list[click.Parameter]:
    return [
        click.Argument(["path"], required=False, default=".", type=click.Path()),
        click.Option(
            ["--format", "fmt"],
            type=click.Choice(FORMATS),
            default="text",
            show_default=True,
            help="What stdout holds. With json: exactly one verdict document.",
        ),
        click.Option(
            ["--report"],
            multiple=True,
            metavar="FMT:PATH",
            help="Also write a rendering to PATH (repeatable), e.g. sarif:out.sarif.",
        ),
        click.Option(
            ["--config", "config_file"],
            type=click.Path(dir_okay=False),
            help="Read options from this TOML file instead of pyproject.toml.",
        ),
        click.Option(["--base"], metavar="REF", help="Judge only what changed since this git ref."),
        click.Option(["--debug"], is_flag=True, help="Show tracebacks of internal errors."),
    ]


def gate_specs(name: str) -> tuple[Any, tuple[Any, ...]]:
    from qualgate import gates
    from qualgate.options import common_options

    module = gates.load(name)
    specs = (*common_options(float(module.DEFAULT_TIMEOUT)), *module.OPTIONS)
    return module, specs


def build_gate_command(name: str) -> click.Command:
    module, specs = gate_specs(name)
    info = GATES[name]
    params = _shared_params() + [_click_option(o) for o in specs]

    def callback(**kwargs: Any) -> int:
        return _invoke_gate(name, specs, kwargs)

    return GateCommand(
        name,
        params=params,
        callback=callback,
        help=f"{info.help}\n\nWrapper: {info.wrapper}. Config: [tool.qualgate.{name}].",
        short_help=info.help,
        passthrough=bool(getattr(module, "PASSTHROUGH", False)),
    )


def _unavailable_gate_command(name: str, exc: Exception) -> click.Command:
    """A stand-in for a gate whose module cannot be imported: it answers `error`."""

    def callback(path: str, args: tuple[str, ...]) -> int:
        from qualgate.runner import error_verdict, utc_now
        from qualgate.verdict import Tool

        words = [path, *args]
        fmt = "json" if "--format=json" in words or "--format json" in " ".join(words) else "text"
        if path.startswith("-"):
            path = "."
        verdict = error_verdict(
            name,
            f"the {name} gate cannot load: {type(exc).__name__}: {exc}",
            "reinstall qualgate (`pip install --force-reinstall qualgate`)",
        ).replace(started_at=utc_now(), tool=Tool(version=__version__))
        root = Path(path).resolve()
        return finish(verdict, fmt, [], root / ".qualgate" / "verdicts")

    return click.Command(
        name,
        params=[
            click.Argument(["path"], required=False, default="."),
            click.Argument(["args"], nargs=-1, type=click.UNPROCESSED),
        ],
        callback=callback,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        help=GATES[name].help,
    )


# ---------------------------------------------------------------------------
# Running a gate


def given_values(ctx: click.Context, specs: Sequence[Any]) -> dict[str, tuple[Any, str]]:
    from qualgate.config import Source

    given: dict[str, tuple[Any, str]] = {}
    for spec in specs:
        if spec.action is not None:
            continue
        source = ctx.get_parameter_source(spec.dest)
        value = ctx.params.get(spec.dest)
        if source is ParameterSource.COMMANDLINE:
            given[spec.name] = (value, Source.COMMAND_LINE)
        elif source is ParameterSource.ENVIRONMENT:
            given[spec.name] = (value, Source.ENVIRONMENT)
    return given


def _reproduce(name: str, path: str, ctx: click.Context) -> str:
    words = ["qualgate", name]
    if path != ".":
        words.append(path)
    skip = {"fmt", "report", "path", "debug"}
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name in skip or param.name is None:
            continue
        if ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(param.name)
        flag = param.opts[0]
        if param.secondary_opts and value is False:
            words.append(param.secondary_opts[0])
        elif param.is_flag:
            words.append(flag.split("/")[0])
        elif isinstance(value, tuple):
            for item in value:
                words += [flag, str(item)]
        else:
            words += [flag, str(value)]
    extra = ctx.meta.get(_EXTRA)
    if extra:
        words += ["--", *extra]
    return shlex.join(words)


def parse_reports(reports: Sequence[str]) -> list[tuple[str, Path]]:
    parsed = []
    for item in reports:
        fmt, sep, path = item.partition(":")
        if not sep or not path or fmt not in RENDERERS:
            raise click.BadParameter(
                f"{item!r}: expected FMT:PATH with FMT one of {', '.join(FORMATS)}",
                param_hint="--report",
            )
        parsed.append((fmt, Path(path)))
    return parsed


def _invoke_gate(name: str, specs: Sequence[Any], kwargs: Mapping[str, Any]) -> int:
    from qualgate.config import load_config, resolve
    from qualgate.context import GateContext
    from qualgate.errors import GateError
    from qualgate.runner import error_verdict, finalize, run_gate, utc_now

    ctx = click.get_current_context()
    reports = parse_reports(kwargs["report"])
    fmt: str = kwargs["fmt"]
    root = Path(kwargs["path"]).resolve()
    debug = bool(kwargs["debug"])
    reproduce = _reproduce(name, kwargs["path"], ctx)
    started_at, t0 = utc_now(), time.monotonic()
    gate_ctx = GateContext(gate=name, root=root, base=kwargs["base"], debug=debug)
    verdict_dir = root / ".qualgate" / "verdicts"
    require = False
    try:
        if not root.is_dir():
            raise GateError(f"project root {kwargs['path']} is not a directory")
        config_file = Path(kwargs["config_file"]) if kwargs["config_file"] else None
        config = load_config(root, config_file, GATES)
        resolved = resolve(name, specs, given_values(ctx, specs), config, root)
        values = {key: r.value for key, r in resolved.items()}
        verdict_dir = values["verdict-dir"]
        require = bool(values["require"])
        gate_ctx = GateContext(
            gate=name,
            root=root,
            options=values,
            base=kwargs["base"],
            timeout=float(values["timeout"]),
            debug=debug,
            extra_args=tuple(ctx.meta.get(_EXTRA, ())),
            started=t0,
            config_file=config_file,
        )
        verdict = run_gate(
            gate_ctx, require=require, reproduce=reproduce, started_at=started_at, t0=t0
        )
    except GateError as exc:
        verdict = finalize(
            error_verdict(name, exc.reason, exc.hint),
            gate_ctx,
            started_at=started_at,
            t0=t0,
            reproduce=reproduce,
        )
    except KeyboardInterrupt:
        verdict = finalize(
            error_verdict(name, "interrupted (Ctrl-C)", "run the gate again to completion"),
            gate_ctx,
            started_at=started_at,
            t0=t0,
            reproduce=reproduce,
        )
        finish(verdict, fmt, reports, verdict_dir)
        raise
    return finish(verdict, fmt, reports, verdict_dir)


def finish(verdict: Any, fmt: str, reports: Sequence[tuple[str, Path]], verdict_dir: Path) -> int:
    """Write the verdict file and the reports, print stdout's rendering, return the exit code."""
    from qualgate.render import render
    from qualgate.fsutil import write_atomic
    from qualgate.verdict import to_json

    document = to_json(verdict)  # serialised once: the file, json reports and stdout share it
    try:
        write_atomic(verdict_dir / f"{verdict.gate}.json", document)
    except OSError as exc:
        click.echo(f"qualgate: could not write the verdict file: {exc}", err=True)
    for report_fmt, path in reports:
        try:
            write_atomic(path, document if report_fmt == "json" else render(report_fmt, verdict))
        except OSError as exc:
            click.echo(f"qualgate: could not write report {path}: {exc}", err=True)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file and (fmt == "github" or any(f == "github" for f, _ in reports)):
        import importlib

        github = importlib.import_module("qualgate.render.github")
        github.append_step_summary(verdict, Path(summary_file))
    click.echo(document if fmt == "json" else render(fmt, verdict), nl=False)
    code: int = verdict.exit_code
    return code


# ---------------------------------------------------------------------------
# The group


class QualgateGroup(click.Group):
    """Lazily built commands, and one handling of usage errors and Ctrl-C."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*GATES, *_OTHER_COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in GATES:
            try:
                return build_gate_command(cmd_name)
            except Exception as exc:  # noqa: BLE001 - a gate that cannot load still answers
                return _unavailable_gate_command(cmd_name, exc)
        if cmd_name in _OTHER_COMMANDS:
            from qualgate import commands

            command: click.Command = getattr(commands, f"{cmd_name}_command")
            return command
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, g.help) for n, g in GATES.items()] + list(_OTHER_COMMANDS.items())
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        argv = list(sys.argv[1:] if args is None else args)
        extra.pop("standalone_mode", None)
        extra.setdefault("auto_envvar_prefix", "QUALGATE")
        try:
            code = super().main(
                args=argv, prog_name=prog_name or "qualgate", standalone_mode=False, **extra
            )
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("qualgate: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            _usage_error_verdict(argv, exc.format_message())
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


def _usage_error_verdict(argv: Sequence[str], message: str) -> None:
    """With --format json, stdout still holds one (error) verdict after a usage error."""
    wants_json = any(
        a == "--format=json" or (a == "--format" and i + 1 < len(argv) and argv[i + 1] == "json")
        for i, a in enumerate(argv)
    )
    if not wants_json:
        return
    from qualgate.runner import error_verdict, utc_now
    from qualgate.verdict import Tool, to_json

    gate = next((a for a in argv if a in GATES or a in _OTHER_COMMANDS), "qualgate")
    verdict = error_verdict(gate, f"usage: {message}", "see `qualgate --help`").replace(
        tool=Tool(version=__version__), started_at=utc_now(), reproduce=shlex.join(argv)
    )
    click.echo(to_json(verdict), nl=False)


@click.group(cls=QualgateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="qualgate")
def cli() -> None:
    """Quality gates for Python backend projects.

    Each gate answers with a verdict (pass/fail/error) and an exit code: 0 pass,
    1 fail, 2 error. Use --format json for one machine-readable verdict on stdout.
    """


def main() -> None:
    """Console-script entry point."""
    cli.main()
