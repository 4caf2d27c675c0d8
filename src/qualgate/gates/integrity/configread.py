"""Each tool's effective configuration, read the way the tool finds it, flattened for
comparison.

A tool reads one file (``ruff.toml`` wins over ``[tool.ruff]``, ``mypy.ini`` over
``[tool.mypy]``, ``qualgate.toml`` over ``[tool.qualgate]``), so a new file that shadows the
old one is compared with the old one, and its missing rules count as removed. INI values
are normalised to the shapes TOML gives (booleans, numbers, lists).
"""

from __future__ import annotations

import configparser
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

Flat = dict[tuple[str, ...], Any]

# The files each tool reads, in the order it looks for them: (file, format, where in it).
# "ini" sections: the section name, or a prefix ending in ":" for coverage's setup.cfg form.
_SOURCES: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "qualgate": (("qualgate.toml", "toml", ()), ("pyproject.toml", "toml", ("tool", "qualgate"))),
    "ruff": (
        (".ruff.toml", "toml", ()),
        ("ruff.toml", "toml", ()),
        ("pyproject.toml", "toml", ("tool", "ruff")),
    ),
    "mypy": (
        ("mypy.ini", "ini", ("mypy",)),
        (".mypy.ini", "ini", ("mypy",)),
        ("pyproject.toml", "toml", ("tool", "mypy")),
        ("setup.cfg", "ini", ("mypy",)),
    ),
    "pytest": (
        ("pytest.ini", "ini", ("pytest",)),
        (".pytest.ini", "ini", ("pytest",)),
        ("pyproject.toml", "toml", ("tool", "pytest", "ini_options")),
        ("tox.ini", "ini", ("pytest",)),
        ("setup.cfg", "ini", ("tool:pytest",)),
    ),
    "coverage": (
        (".coveragerc", "ini", ()),
        ("setup.cfg", "ini", ("coverage:",)),
        ("tox.ini", "ini", ("coverage:",)),
        ("pyproject.toml", "toml", ("tool", "coverage")),
    ),
}
# Files a tool uses as soon as they exist, whatever they hold.
_ALWAYS_USED = frozenset(
    {
        ".ruff.toml",
        "ruff.toml",
        "mypy.ini",
        ".mypy.ini",
        "pytest.ini",
        ".pytest.ini",
        ".coveragerc",
        "qualgate.toml",
    }
)
CONFIG_FILES = frozenset(name for sources in _SOURCES.values() for name, _, _ in sources)

# INI keys whose value is a list (newline, comma or space separated).
_INI_LISTS = {
    "testpaths": " ",
    "norecursedirs": " ",
    "python_files": " ",
    "python_classes": " ",
    "python_functions": " ",
    "markers": "\n",
    "filterwarnings": "\n",
    "omit": ",",
    "include": ",",
    "source": ",",
    "exclude_lines": "\n",
    "exclude_also": "\n",
    "partial_branches": "\n",
    "disable_error_code": ",",
    "enable_error_code": ",",
    "plugins": ",",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolConfig:
    """One tool's effective configuration: the file it came from and its flattened keys."""

    tool: str
    file: str | None
    keys: Flat


def _toml(text: str) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return None
    return data


def _ini(text: str) -> configparser.RawConfigParser | None:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except (configparser.Error, ValueError):
        return None
    return parser


def _ini_value(key: str, value: str) -> Any:
    raw = value.strip()
    separator = _INI_LISTS.get(key)
    if separator is not None:
        if separator == " ":
            pieces = raw.split()
        elif separator == ",":
            pieces = [p for chunk in raw.splitlines() for p in chunk.split(",")]
        else:
            pieces = raw.splitlines()
        return [p.strip() for p in pieces if p.strip()]
    if "\n" in raw:
        return [line.strip() for line in raw.splitlines() if line.strip()]
    lowered = raw.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    except ValueError:
        return raw


def _from_ini(
    tool: str, parser: configparser.RawConfigParser, where: tuple[str, ...]
) -> dict[str, Any] | None:
    section = where[0] if where else ""
    out: dict[str, Any] = {}
    for name in parser.sections():
        if tool == "coverage":
            short = name[len(section) :] if section and name.startswith(section) else name
            if section and not name.startswith(section):
                continue
            out[short] = {k: _ini_value(k, v) for k, v in parser.items(name)}
        elif tool == "mypy" and name.startswith("mypy-"):
            entry = {
                "module": name[len("mypy-") :],
                **{k: _ini_value(k, v) for k, v in parser.items(name)},
            }
            out.setdefault("overrides", []).append(entry)
        elif name == section:
            out.update({k: _ini_value(k, v) for k, v in parser.items(name)})
    if not out and not (tool == "pytest" and parser.has_section(section)):
        return None
    return out


def effective(tool: str, read: Callable[[str], str | None]) -> ToolConfig:
    """The configuration ``tool`` uses, reading files through ``read`` (None: absent)."""
    for name, fmt, where in _SOURCES[tool]:
        text = read(name)
        if text is None:
            continue
        table: Any = None
        if fmt == "toml":
            data = _toml(text)
            table = data
            for key in where:
                table = table.get(key) if isinstance(table, dict) else None
        else:
            parser = _ini(text)
            table = _from_ini(tool, parser, where) if parser is not None else None
        if isinstance(table, dict):
            return ToolConfig(tool=tool, file=name, keys=flatten(table))
        if name in _ALWAYS_USED:
            return ToolConfig(tool=tool, file=name, keys={})
    return ToolConfig(tool=tool, file=None, keys={})


def flatten(table: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Flat:
    """Dotted keys to values; a list of tables becomes a sorted list of canonical JSON."""
    out: Flat = {}
    for key, value in table.items():
        path = (*prefix, str(key))
        if isinstance(value, dict):
            out.update(flatten(value, path))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[path] = sorted(json.dumps(v, sort_keys=True, default=str) for v in value)
        else:
            out[path] = value
    return out


def tools() -> tuple[str, ...]:
    return tuple(_SOURCES)
