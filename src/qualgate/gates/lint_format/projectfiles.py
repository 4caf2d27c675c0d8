"""The project's configuration files, read once, bounded, and only inside the root.

Toolchain detection, target inference and mypy's targets all read the same few files
(``pyproject.toml``, ``setup.cfg``, ``tox.ini``...); a broken or hostile file reads as
empty here: the tool that owns it reports it when it runs.
"""

from __future__ import annotations

import configparser
import os
import sys
from pathlib import Path
from typing import Any

from qualgate.fsutil import read_text_bounded

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# Configuration files are small; a larger one is not configuration we need to read.
MAX_CONFIG_BYTES = 2 * 1024 * 1024


class ProjectFiles:
    """Cached, bounded readers of files at the project root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real_root = Path(os.path.realpath(root))
        self._text: dict[str, str | None] = {}
        self._toml: dict[str, dict[str, Any]] = {}
        self._ini: dict[str, configparser.ConfigParser | None] = {}

    def text(self, name: str) -> str | None:
        """The text of ``name`` (relative to the root), None when absent or unreadable."""
        if name not in self._text:
            path = self.root / name
            real = Path(os.path.realpath(path))
            value: str | None = None
            if real.is_relative_to(self._real_root) and path.is_file():
                try:
                    value = read_text_bounded(path, MAX_CONFIG_BYTES, errors="replace")
                except OSError:
                    value = None
            self._text[name] = value
        return self._text[name]

    def exists(self, name: str) -> bool:
        return self.text(name) is not None

    def toml(self, name: str) -> dict[str, Any]:
        if name not in self._toml:
            text = self.text(name)
            data: dict[str, Any] = {}
            if text is not None:
                try:
                    data = tomllib.loads(text)
                except (tomllib.TOMLDecodeError, RecursionError, ValueError):
                    data = {}
            self._toml[name] = data
        return self._toml[name]

    def pyproject(self) -> dict[str, Any]:
        return self.toml("pyproject.toml")

    def tool(self, name: str) -> dict[str, Any] | None:
        """``[tool.<name>]`` of pyproject.toml (None when absent)."""
        tool = self.pyproject().get("tool")
        section = tool.get(name) if isinstance(tool, dict) else None
        return section if isinstance(section, dict) else None

    def ini(self, name: str) -> configparser.ConfigParser | None:
        if name not in self._ini:
            text = self.text(name)
            parser: configparser.ConfigParser | None = None
            if text is not None:
                parser = configparser.ConfigParser(interpolation=None, strict=False)
                try:
                    parser.read_string(text, source=name)
                except (configparser.Error, ValueError):
                    parser = None
            self._ini[name] = parser
        return self._ini[name]

    def ini_sections(self, name: str) -> list[str]:
        parser = self.ini(name)
        return parser.sections() if parser is not None else []

    def listdir(self, name: str = ".") -> list[str]:
        """Names in a folder of the project (empty when absent or leading outside)."""
        path = self.root / name
        if not Path(os.path.realpath(path)).is_relative_to(self._real_root):
            return []
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []


def dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` through dicts, None when any step is missing."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
