"""The stop profile: which gates a turn must pass, and the hook's settings.

By default the gates whose inputs changed since the session's base, by simple rules on the
changed paths (a ``.py`` file: lint-format and run-tests; ``alembic.ini`` or a migration:
migration-check and seed; a lock or requirements file: dependency-scan; ...), restricted
to the gates ``[tool.qualgate.all] gates`` configures, with integrity always. ``gates`` in
``[tool.qualgate.hook]`` (or ``--gates``) names them instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate.composite import ORDER
from qualgate.config import load_config, resolve
from qualgate.fsutil import ReadRefused, read_bytes_bounded
from qualgate.gates import GATES
from qualgate.options import Kind, Option

HOOK_TABLE = "hook"


def _known_gates(names: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in GATES or n == "all"]
    if unknown:
        raise ValueError(f"expects gate names ({', '.join(g for g in GATES if g != 'all')})")
    return names


OPTIONS = (
    Option(
        name="max-blocks",
        kind=Kind.INT,
        min=1,
        max=50,
        default=3,
        help="Blocks in a row on the same findings before the turn is let go (default 3).",
    ),
    Option(
        name="gates",
        kind=Kind.LIST,
        default=(),
        validate=_known_gates,
        help="The stop profile: these gates (default: the gates whose inputs changed).",
    ),
    Option(
        name="timeout",
        kind=Kind.FLOAT,
        min=1,
        default=540.0,
        help="Seconds for the whole stop profile (keep it under the agent's hook timeout).",
    ),
    Option(
        name="post-tool",
        kind=Kind.BOOL,
        default=True,
        help="After a tool use, run the integrity gate and tell the agent what it weakened.",
    ),
)

# Path rules: a changed path matching one of a gate's patterns puts the gate in the profile.
_PY = ("*.py", "*.pyi")
_RULES: dict[str, tuple[str, ...]] = {
    "lint-format": (
        *_PY,
        "pyproject.toml",
        "setup.cfg",
        "ruff.toml",
        ".ruff.toml",
        "mypy.ini",
        ".mypy.ini",
    ),
    "run-tests": (*_PY, "pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini", ".coveragerc"),
    "openapi-lint": ("*openapi*", "*swagger*"),
    "migration-check": ("alembic.ini", "alembic/*", "migrations/*", "*models.py", "*/models/*"),
    "seed": ("seeds/*", "seed/*", "alembic/*", "migrations/*"),
    "dependency-scan": (
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements*.txt",
        "requirements/*",
        "constraints*.txt",
        "poetry.lock",
        "uv.lock",
        "Pipfile",
        "Pipfile.lock",
        "pdm.lock",
        "pylock*.toml",
        "package.json",
        "package-lock.json",
    ),
    "artifact-validate": ("artifacts/*", "docs/adr/*", "docs/rfc/*", "adr/*", "rfc/*"),
}
_OPENAPI_SNIFF = (b"openapi:", b'"openapi"', b"swagger:", b'"swagger"')


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    max_blocks: int = 3
    gates: tuple[str, ...] = ()
    timeout: float = 540.0
    post_tool: bool = True
    # [tool.qualgate.all] gates, when the project narrows `all`.
    configured: tuple[str, ...] | None = None


def load_settings(root: Path, given: Mapping[str, tuple[Any, str]]) -> Settings:
    """The hook's settings: command line > environment > [tool.qualgate.hook] > default.

    Raises ConfigError (a GateError) for a bad value, naming the key.
    """
    config = load_config(root, None, [*GATES, HOOK_TABLE])
    values = {k: r.value for k, r in resolve(HOOK_TABLE, OPTIONS, given, config, root).items()}
    configured = config.tables.get("all", {}).get("gates")
    if isinstance(configured, str):
        configured = [g.strip() for g in configured.split(",") if g.strip()]
    return Settings(
        max_blocks=int(values["max-blocks"]),
        gates=tuple(values["gates"] or ()),
        timeout=float(values["timeout"]),
        post_tool=bool(values["post-tool"]),
        configured=tuple(configured) if isinstance(configured, list) else None,
    )


def _matches(path: str, pattern: str) -> bool:
    import fnmatch

    name = path.rsplit("/", 1)[-1]
    if "/" not in pattern:
        return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(path, pattern)
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, "*/" + pattern)


def _is_openapi(root: Path, path: str) -> bool:
    if not path.endswith((".yaml", ".yml", ".json")):
        return False
    try:
        head = read_bytes_bounded(root / path, 64 * 1024 * 1024)[:4096]
    except (OSError, ReadRefused):
        return False
    return any(marker in head for marker in _OPENAPI_SNIFF)


def gates_for(root: Path, changed: Iterable[str], settings: Settings) -> list[str]:
    """The gates a stop must pass, in the order ``all`` runs them (integrity last)."""
    paths = list(changed)
    if settings.gates:
        chosen = set(settings.gates)
    elif not paths:
        return []
    else:
        chosen = {"integrity"}
        for gate, patterns in _RULES.items():
            if any(_matches(p, pat) for p in paths for pat in patterns):
                chosen.add(gate)
        if any(_is_openapi(root, p) for p in paths):
            chosen.add("openapi-lint")
        if settings.configured is not None:
            chosen &= {*settings.configured, "integrity"}
    return ordered(chosen)


def ordered(names: Iterable[str]) -> list[str]:
    order: Sequence[str] = (*(g for g in ORDER if g != "integrity"), "integrity")
    chosen = set(names)
    return [g for g in order if g in chosen] + sorted(chosen - set(order))
