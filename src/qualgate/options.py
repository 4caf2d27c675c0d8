"""Declarative gate options: one spec serves the command line and the config file.

A gate lists its options as `Option` values. The CLI turns each into a click option;
config loading validates ``[tool.qualgate.<gate>]`` keys against the same specs. So a
key is settable in the file exactly when it is settable on the command line, and both
are checked by the same `coerce`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class Kind(enum.Enum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    CHOICE = "choice"
    # Repeatable on the command line and comma-separated; a TOML array (or string) in config.
    LIST = "list"
    # A file or folder: relative to the working directory on the command line, to the
    # project root in config.
    PATH = "path"
    # Structured value: any TOML value in config, JSON text on the command line.
    JSON = "json"


@dataclass(frozen=True, kw_only=True, slots=True)
class Option:
    """One gate option. ``name`` is the long option name and the config key."""

    name: str
    help: str
    kind: Kind = Kind.STR
    default: Any = None
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    metavar: str | None = None
    # Further validation/conversion after the type check; raise ValueError("expects ...").
    validate: Callable[[Any], Any] | None = None
    # Shown in --help and `qualgate config`, never read back.
    expects: str | None = None
    # When set, the flag prints what this returns (e.g. a rule list) and exits 0.
    action: Callable[[], str] | None = None
    # Honoured from the command line and the environment only: the option widens what the
    # gate may reach (fetch URLs, run a program, read or write outside the project), so
    # the repository's own config, which a pull request can change, may not set it.
    cli_only: bool = False
    # Its values are secrets (for KEY=VALUE values, the VALUE): masked wherever the run
    # shows them (the reproduce command, `qualgate config`, every text of the verdict).
    secret: bool = False

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def describe(self) -> str:
        """What the option accepts, in words, for error messages."""
        if self.expects:
            return self.expects
        if self.kind is Kind.INT or self.kind is Kind.FLOAT:
            noun = "an integer" if self.kind is Kind.INT else "a number"
            if self.min is not None and self.max is not None:
                return f"{noun} from {self.min:g} to {self.max:g}"
            if self.min is not None:
                return f"{noun} >= {self.min:g}"
            if self.max is not None:
                return f"{noun} <= {self.max:g}"
            return noun
        return {
            Kind.STR: "a string",
            Kind.BOOL: "true or false",
            Kind.CHOICE: "one of " + ", ".join(self.choices),
            Kind.LIST: "a list of strings (or one comma-separated string)",
            Kind.PATH: "a path",
            Kind.JSON: "a structured value",
        }.get(self.kind, "a value")


def secret_parts(value: Any) -> list[str]:
    """The secret strings in a `secret` option's value: whole values, or what follows ``=``."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, str) and item:
            out.append(item.split("=", 1)[1] if "=" in item else item)
    return [s for s in out if s]


class OptionError(ValueError):
    """A value that does not fit its option; the message says what it accepts."""


def coerce(opt: Option, value: Any, *, from_cli: bool, base_dir: Path) -> Any:
    """Check and convert one value for ``opt``; raises `OptionError`."""
    if value is None:
        return None
    converted = _convert(opt, value, from_cli=from_cli, base_dir=base_dir)
    if opt.validate is not None:
        try:
            converted = opt.validate(converted)
        except (ValueError, TypeError) as exc:
            raise OptionError(str(exc) or f"expects {opt.describe()}") from exc
    return converted


def _bad(opt: Option, value: Any) -> OptionError:
    return OptionError(f"expects {opt.describe()}, got {value!r}")


def _convert(opt: Option, value: Any, *, from_cli: bool, base_dir: Path) -> Any:
    kind = opt.kind
    if kind is Kind.STR:
        if not isinstance(value, str):
            raise _bad(opt, value)
        return value
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise _bad(opt, value)
        return value
    if kind is Kind.INT or kind is Kind.FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad(opt, value)
        if kind is Kind.INT and not float(value).is_integer():
            raise _bad(opt, value)
        number: int | float = int(value) if kind is Kind.INT else float(value)
        if (opt.min is not None and number < opt.min) or (opt.max is not None and number > opt.max):
            raise _bad(opt, value)
        return number
    if kind is Kind.CHOICE:
        if not isinstance(value, str) or value not in opt.choices:
            raise _bad(opt, value)
        return value
    if kind is Kind.LIST:
        items: list[Any] = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
            raise _bad(opt, value)
        out: list[str] = []
        for item in items:
            out.extend(part.strip() for part in item.split(",") if part.strip())
        return tuple(out)
    if kind is Kind.PATH:
        if not isinstance(value, (str, Path)) or not str(value):
            raise _bad(opt, value)
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base_dir / path)
    if kind is Kind.JSON:
        if from_cli and isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise OptionError(f"expects JSON text ({opt.describe()}): {exc}") from exc
        return value
    raise AssertionError(kind)  # pragma: no cover


# Options every gate has that may also be set in config. The command-line-only ones
# (PATH, --format, --report, --config, --base, --debug) live in the CLI.
def common_options(default_timeout: float) -> tuple[Option, ...]:
    return (
        Option(
            name="timeout",
            kind=Kind.FLOAT,
            min=1,
            default=default_timeout,
            metavar="SECONDS",
            help=f"Give up with an error verdict after this long (default {default_timeout:g}).",
        ),
        Option(
            name="require",
            kind=Kind.BOOL,
            default=False,
            help="Treat 'skipped' (nothing to check) as a failure.",
        ),
        Option(
            name="verdict-dir",
            kind=Kind.PATH,
            default=Path(".qualgate/verdicts"),
            metavar="DIR",
            help="Where the verdict file <gate>.json is written (default .qualgate/verdicts).",
        ),
        Option(
            name="cache",
            kind=Kind.BOOL,
            default=True,
            help="Answer from the result cache when nothing the gate reads changed since a "
            "run with the same options (--no-cache: always run).",
        ),
    )
