"""The environment an app needs to import: the project's ``.env`` and ``--app-env``.

``.env`` is read the way python-dotenv and docker compose read it, for the common forms:
``KEY=value``, ``export KEY=value``, single- or double-quoted values (double quotes
understand ``\\n``, ``\\t``, ``\\"`` and ``\\\\``), ``#`` comments on their own line or
after an unquoted value. No ``${VAR}`` expansion: a value is taken as written. Values are
secrets as often as not: they go to the app's process environment, never into a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


class EnvError(ValueError):
    """A ``--app-env`` item that is not ``KEY=VALUE`` or ``KEY``."""


def parse(text: str) -> dict[str, str]:
    """The variables of a ``.env`` text; lines that are not assignments are skipped."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[7:].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            continue
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            # A quoted value may span lines until its closing quote.
            while _closing(body, quote) < 0 and index < len(lines):
                body += "\n" + lines[index]
                index += 1
            end = _closing(body, quote)
            raw = body if end < 0 else body[:end]
            out[key] = _unescape(raw) if quote == '"' else raw
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0]
            out[key] = value.strip()
    return out


def _closing(body: str, quote: str) -> int:
    """The index of the unescaped closing ``quote`` in ``body`` (-1 when absent)."""
    escaped = False
    for i, ch in enumerate(body):
        if quote == '"' and ch == "\\" and not escaped:
            escaped = True
            continue
        if ch == quote and not escaped:
            return i
        escaped = False
    return -1


def _unescape(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and raw[i + 1] in _ESCAPES:
            out.append(_ESCAPES[raw[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def overrides(items: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """``--app-env`` items: ``KEY=VALUE``, or ``KEY`` to pass ours through (so a secret
    need not appear on a command line)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not _KEY.match(key):
            raise EnvError(f"expects KEY=VALUE or KEY, got {item.split('=')[0]!r}=...")
        if sep:
            out[key] = value
        elif key in environ:
            out[key] = environ[key]
    return out
