"""Configuration: ``[tool.qualgate.<gate>]`` tables, validated against the gates' option specs.

Where the file is: ``--config FILE``, else ``qualgate.toml`` at the project root (its
tables are named after the gates, without the ``tool.qualgate`` prefix, like
``ruff.toml``), else ``[tool.qualgate]`` in the root's ``pyproject.toml``.

Precedence: command line > environment (``QUALGATE_<GATE>_<OPTION>``) > file > default.
``qualgate all`` reads each gate's environment variables itself (`env_given`), exactly as
click reads them for a gate run alone.

Besides the gate tables, one project-wide key: ``baseline`` (``[tool.qualgate] baseline =
"..."``, or top level in ``qualgate.toml``), the baseline file's path (default
``.qualgate/baseline.json``).
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate.errors import ConfigError
from qualgate.fsutil import read_text_bounded
from qualgate.options import Kind, Option, OptionError, coerce

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


# A configuration file larger than this is refused (a link to /dev/zero never ends).
MAX_CONFIG_BYTES = 1024 * 1024

# Where the baseline of findings lives unless the config says otherwise (see baseline.py).
DEFAULT_BASELINE = Path(".qualgate") / "baseline.json"
# Project-wide keys beside the gate tables: key -> what it accepts.
SETTINGS = {"baseline": "a path to the baseline file, relative to the project root"}
# Tables of commands that are not gates; each command validates its own table.
COMMAND_TABLES = {"hook": "qualgate hook (the agents' stop hooks)"}


class Source:
    COMMAND_LINE = "command line"
    ENVIRONMENT = "environment"
    DEFAULT = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class ConfigFile:
    """The qualgate tables found for a project (empty when there is no file)."""

    path: Path | None = None
    prefix: str = ""  # "tool.qualgate." for pyproject.toml, "" for qualgate.toml
    # True for a file named with --config: the user's own, trusted like the command line.
    # A file found in the project is the repository's, which a pull request may change.
    explicit: bool = False
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Project-wide keys (`SETTINGS`), as written.
    settings: Mapping[str, Any] = field(default_factory=dict)

    def where(self, gate: str) -> str:
        name = self.path.name if self.path else "config"
        return f"{name} [{self.prefix}{gate}]"


# Parsed files by their identity (path, size, times, inode): ``all`` resolves every gate's
# options from the same file; an edited file has another identity and is read again.
_parsed: dict[tuple[str, int, int, int, int], dict[str, Any]] = {}


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file, bounded and parsed once per identity; `ConfigError` when unreadable."""
    try:
        info = path.stat()
        identity = (str(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    except OSError:
        identity = None
    if identity is not None and identity in _parsed:
        return copy.deepcopy(_parsed[identity])
    data = _parse_toml(path)
    if identity is not None:
        if len(_parsed) > 32:
            _parsed.clear()
        _parsed[identity] = copy.deepcopy(data)
    return data


def _parse_toml(path: Path) -> dict[str, Any]:
    try:
        text = read_text_bounded(path, MAX_CONFIG_BYTES)
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path.name}: invalid TOML: {exc}", "fix the syntax error at that line"
        ) from exc
    except (RecursionError, ValueError) as exc:
        # Nesting thousands deep, or an integer of thousands of digits: valid-looking
        # TOML that no configuration needs.
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(
            f"{path.name}: cannot be read: {reason.split(';')[0]}",
            "simplify that value; qualgate reads no configuration of that size",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path.name}: {exc.strerror or exc}",
            "make it a regular file of at most 1 MiB",
        ) from exc


def load_config(root: Path, explicit: Path | None, known_gates: Iterable[str]) -> ConfigFile:
    """Find and parse the configuration; unknown gate tables are a `ConfigError`."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"--config {explicit}: no such file")
        path = explicit
    elif (root / "qualgate.toml").is_file():
        path = root / "qualgate.toml"
    elif (root / "pyproject.toml").is_file():
        path = root / "pyproject.toml"
    else:
        return ConfigFile()
    data = _read_toml(path)
    if path.name == "pyproject.toml" or "tool" in data:
        raw = data.get("tool", {}).get("qualgate", {})
        prefix = "tool.qualgate."
    else:
        raw, prefix = data, ""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: [{prefix.rstrip('.')}] must be a table")
    known = sorted(known_gates)
    tables: dict[str, Mapping[str, Any]] = {}
    settings: dict[str, Any] = {}
    for key, value in raw.items():
        if key in SETTINGS and key not in known:
            settings[key] = value
            continue
        if key in COMMAND_TABLES and key not in known and isinstance(value, dict):
            tables[key] = value
            continue
        if key not in known:
            what = f"table [{prefix}{key}]" if isinstance(value, dict) else f"key `{key}`"
            raise ConfigError(
                f"{path.name}: unknown {what}",
                "valid tables: "
                + ", ".join(f"[{prefix}{g}]" for g in [*known, *COMMAND_TABLES])
                + "; valid keys: "
                + ", ".join(SETTINGS),
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{path.name}: [{prefix}{key}] must be a table of options")
        tables[key] = value
    return ConfigFile(
        path=path,
        prefix=prefix,
        tables=tables,
        explicit=explicit is not None,
        settings=settings,
    )


def baseline_path(config: ConfigFile, root: Path) -> Path:
    """The baseline file: the config's ``baseline`` key, else ``.qualgate/baseline.json``.

    A repository's own config may only name a file inside the project.
    """
    value = config.settings.get("baseline")
    if value is None:
        return root / DEFAULT_BASELINE
    where = f"{config.path.name if config.path else 'config'} [{config.prefix.rstrip('.')}]"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: `baseline` expects {SETTINGS['baseline']}, got {value!r}")
    base_dir = config.path.parent if config.path else root
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base_dir / path
    if not config.explicit:
        _inside_root(path, root, f"{where}: `baseline`")
    return path


def _inside_root(path: Path, root: Path, label: str) -> None:
    """A path from the repository's own config must stay inside the project, links too."""
    real_root = root.resolve()
    if not path.resolve().is_relative_to(real_root):
        raise ConfigError(
            f"{label} points outside the project ({path}); the repository's configuration "
            "may only name paths inside it",
            "name a path inside the project, or pass it on the command line",
        )


def env_var(gate: str, option: str) -> str:
    """The environment variable click reads for an option: QUALGATE_<GATE>_<OPTION>."""
    return f"QUALGATE_{gate}_{option}".upper().replace("-", "_")


# How click reads a boolean from the environment (`click.BOOL`).
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _from_env(spec: Option, text: str) -> Any:
    """An environment string converted as click converts it for the same option."""
    if spec.kind is Kind.BOOL:
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        return text  # coerce names the variable and what it accepts
    if spec.kind is Kind.INT or spec.kind is Kind.FLOAT:
        try:
            return int(text) if spec.kind is Kind.INT else float(text)
        except ValueError:
            return text
    if spec.kind is Kind.LIST:
        # click splits a `multiple` option's variable on whitespace; commas split later.
        return tuple(text.split())
    return text


def env_given(
    gate: str, options: Iterable[Option], environ: Mapping[str, str] | None = None
) -> dict[str, tuple[Any, str]]:
    """``{option: (value, "environment")}`` for every ``QUALGATE_<GATE>_<OPTION>`` set.

    What click does for the gate invoked on the command line, for the gates ``all`` runs:
    an empty variable counts as unset, as in click.
    """
    env = os.environ if environ is None else environ
    given: dict[str, tuple[Any, str]] = {}
    for spec in options:
        if spec.action is not None:
            continue
        text = env.get(env_var(gate, spec.name))
        if text:
            given[spec.name] = (_from_env(spec, text), Source.ENVIRONMENT)
    return given


@dataclass(frozen=True, kw_only=True, slots=True)
class Resolved:
    value: Any
    source: str


def resolve(
    gate: str,
    options: Iterable[Option],
    cli_values: Mapping[str, tuple[Any, str]],
    config: ConfigFile,
    root: Path,
) -> dict[str, Resolved]:
    """Every option's effective value and where it came from.

    ``cli_values`` maps option names to ``(value, source)`` for values given on the
    command line or in the environment (already converted by click).
    """
    specs = {o.name: o for o in options}
    table = config.tables.get(gate, {})
    where = config.where(gate)
    for key in table:
        if key not in specs:
            raise ConfigError(
                f"{where}: unknown key `{key}`",
                "valid keys: " + ", ".join(sorted(specs)),
            )
    base_dir = config.path.parent if config.path else root
    result: dict[str, Resolved] = {}
    for name, spec in specs.items():
        if name in cli_values:
            value, source = cli_values[name]
            label = f"--{name}" if source == Source.COMMAND_LINE else f"${env_var(gate, name)}"
            try:
                converted = coerce(spec, value, from_cli=True, base_dir=Path.cwd())
            except OptionError as exc:
                raise ConfigError(f"{label} {exc}", f"see `qualgate {gate} --help`") from exc
            result[name] = Resolved(value=converted, source=source)
        elif name in table:
            if spec.cli_only and not config.explicit:
                raise ConfigError(
                    f"{where}: `{name}` cannot be set in the repository's configuration: it "
                    "widens what the gate may reach (network, programs, files)",
                    f"pass --{name} on the command line or set ${env_var(gate, name)}",
                )
            try:
                converted = coerce(spec, table[name], from_cli=False, base_dir=base_dir)
            except OptionError as exc:
                raise ConfigError(f"{where}: `{name}` {exc}") from exc
            if isinstance(converted, Path) and not config.explicit:
                _inside_root(converted, root, f"{where}: `{name}`")
            result[name] = Resolved(value=converted, source=str(config.path))
        else:
            default = spec.default
            if isinstance(default, Path) and not default.is_absolute():
                default = root / default
            result[name] = Resolved(value=default, source=Source.DEFAULT)
    return result
