"""Click commands built from the gate registry: each gate's option specs become click
options; parsing only, the run itself belongs to the pipeline."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from qualgate import __version__, pipeline
from qualgate.config import Source
from qualgate.context import GateContext
from qualgate.gates import GATES, ExtraCommand, catalogue_of
from qualgate.options import Kind, Option, secret_parts
from qualgate.redact import mask
from qualgate.render import RENDERERS
from qualgate.verdict import Tool, Verdict

FORMATS = tuple(RENDERERS)
_EXTRA = "qualgate.extra_args"


def _click_option(opt: Option) -> click.Option:
    decls = [f"--{opt.name}"]
    kwargs: dict[str, Any] = {"help": opt.help, "default": None, "show_envvar": True}
    if opt.metavar:
        kwargs["metavar"] = opt.metavar
    if opt.action is not None:
        return _action_flag(decls, opt.help, opt.action)
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


def _action_flag(decls: list[str], help_text: str, action: Callable[[], str]) -> click.Option:
    """A flag that prints what ``action`` returns and exits 0 (``--list-rules``)."""

    def _run_action(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value and not ctx.resilient_parsing:
            click.echo(action(), nl=False)
            ctx.exit(0)

    return click.Option(
        decls, is_flag=True, expose_value=False, is_eager=True, callback=_run_action, help=help_text
    )


def _list_rules(gate: str) -> Callable[[], str]:
    def listing() -> str:
        cat = catalogue_of(gate)
        if cat is None:
            return ""
        width = max((len(r.id) for r in cat), default=0)
        return "".join(
            f"{r.id:<{width}}  {r.severity.value:<7}  {r.rationale}"
            f"{'' if r.configurable else ' (always on)'}\n"
            for r in cat
        )

    return listing


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


def _output_params() -> list[click.Parameter]:
    return [
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
        click.Option(["--debug"], is_flag=True, help="Show tracebacks of internal errors."),
    ]


def _shared_params() -> list[click.Parameter]:
    return [
        click.Argument(["path"], required=False, default=".", type=click.Path()),
        *_output_params(),
        click.Option(
            ["--config", "config_file"],
            type=click.Path(dir_okay=False),
            help="Read options from this TOML file instead of pyproject.toml.",
        ),
        click.Option(["--base"], metavar="REF", help="Judge only what changed since this git ref."),
    ]


def build_gate_command(name: str) -> click.Command:
    module, specs = pipeline.gate_specs(name)
    info = GATES[name]
    params = _shared_params() + [_click_option(o) for o in specs]
    if catalogue_of(name) is not None:
        params.append(
            _action_flag(["--list-rules"], "List the gate's rules and exit.", _list_rules(name))
        )

    def callback(**kwargs: Any) -> int:
        return _invoke(name, specs, kwargs)

    return GateCommand(
        name,
        params=params,
        callback=callback,
        help=f"{info.help}\n\nWrapper: {info.wrapper}. Config: [tool.qualgate.{name}].",
        short_help=info.help,
        passthrough=bool(getattr(module, "PASSTHROUGH", False)),
    )


def unavailable_gate_command(name: str, exc: Exception) -> click.Command:
    """A stand-in for a gate whose module cannot be imported: it answers `error`."""

    def callback(path: str, args: tuple[str, ...]) -> int:
        words = [path, *args]
        fmt = "json" if "--format=json" in words or "--format json" in " ".join(words) else "text"
        if path.startswith("-"):
            path = "."
        verdict = pipeline.error_verdict(
            name,
            f"the {name} gate cannot load: {type(exc).__name__}: {exc}",
            "reinstall qualgate (`pip install --force-reinstall qualgate`)",
        ).replace(started_at=pipeline.utc_now(), tool=Tool(version=__version__))
        root = Path(path).resolve()
        return _publish(verdict, fmt, [], root / pipeline.VERDICT_DIR, root)

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


def given_values(ctx: click.Context, specs: Sequence[Option]) -> dict[str, tuple[Any, str]]:
    """The options given on the command line or in the environment, with their source."""
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


def _reproduce(
    name: str, path: str, ctx: click.Context, secret_options: frozenset[str] = frozenset()
) -> str:
    words = ["qualgate", name]
    if path != ".":
        words.append(path)
    skip = {"fmt", "report", "path", "debug"}
    secrets: list[str] = []
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name in skip or param.name is None:
            continue
        if ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(param.name)
        if param.name in secret_options:
            secrets += secret_parts(value)
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
    # Masked word by word, then quoted: a `***` in the line stays inside its quotes.
    return shlex.join(mask(w, secrets) for w in words)


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


def _publish(
    verdict: Verdict,
    fmt: str,
    reports: Sequence[tuple[str, Path]],
    verdict_dir: Path,
    root: Path,
) -> int:
    return pipeline.publish(
        verdict,
        fmt,
        reports,
        verdict_dir,
        root,
        out=sys.stdout,
        err=sys.stderr,
    )


def _exit_after_signal(outcome: pipeline.Outcome, code: int) -> int:
    """After Ctrl-C or SIGTERM (verdict already written): the signal's exit code."""
    if outcome.signal_code is not None:
        click.echo("qualgate: interrupted", err=True)
        raise click.exceptions.Exit(outcome.signal_code)
    return code


def _invoke(name: str, specs: Sequence[Option], kwargs: dict[str, Any]) -> int:
    ctx = click.get_current_context()
    reports = parse_reports(kwargs["report"])
    request = pipeline.Request(
        gate=name,
        root=Path(kwargs["path"]).resolve(),
        shown_root=kwargs["path"],
        config_file=Path(kwargs["config_file"]) if kwargs["config_file"] else None,
        given=given_values(ctx, specs),
        base=kwargs["base"],
        debug=bool(kwargs["debug"]),
        extra_args=tuple(ctx.meta.get(_EXTRA, ())),
        reproduce=_reproduce(
            name, kwargs["path"], ctx, frozenset(o.dest for o in specs if o.secret)
        ),
    )
    outcome = pipeline.execute(request)
    code = _publish(outcome.verdict, kwargs["fmt"], reports, outcome.verdict_dir, request.root)
    return _exit_after_signal(outcome, code)


def build_extra_command(gate: str, extra: ExtraCommand) -> click.Command:
    """A gate's own extra command (``merge``): files in, one verdict out, same pipeline."""
    params: list[click.Parameter] = [
        click.Argument(["files"], nargs=-1, required=True, type=click.Path(dir_okay=False)),
        click.Option(
            ["--root"], default=".", type=click.Path(file_okay=False), help="Project root."
        ),
        *_output_params(),
        click.Option(["--verdict-dir"], type=click.Path(file_okay=False), default=None),
    ]

    def callback(
        files: tuple[str, ...],
        root: str,
        fmt: str,
        report: tuple[str, ...],
        debug: bool,
        verdict_dir: str | None,
    ) -> int:
        reports = parse_reports(report)
        paths = tuple(Path(f) for f in files)

        def run(ctx: GateContext) -> Verdict:
            return extra.run(ctx, paths)

        words = ["qualgate", extra.name, *files]
        if root != ".":
            words += ["--root", root]
        request = pipeline.Request(
            gate=gate,
            root=Path(root).resolve(),
            shown_root=root,
            debug=debug,
            reproduce=shlex.join(words),
        )
        outcome = pipeline.execute(request, run)
        target = Path(verdict_dir) if verdict_dir else outcome.verdict_dir
        code = _publish(outcome.verdict, fmt, reports, target, request.root)
        return _exit_after_signal(outcome, code)

    return click.Command(extra.name, params=params, callback=callback, help=extra.help)


def extra_command(name: str) -> click.Command | None:
    """The extra command ``name`` of the gate that owns it (only that gate is imported)."""
    for gate, info in GATES.items():
        if name in info.commands:
            module = pipeline.gate_specs(gate)[0]
            for extra in getattr(module, "COMMANDS", ()):
                if extra.name == name:
                    return build_extra_command(gate, extra)
    return None
