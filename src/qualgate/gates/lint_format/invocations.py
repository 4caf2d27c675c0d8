"""How the project itself runs a tool, read from its task files: what it points it at.

``flake8 app --exclude=app/db/migrations`` in ``scripts/lint`` means the project lints
``app`` (not ``tests``), without its migrations. The gate runs the tool on the same
targets, so a project whose own command passes is not failed for files it never checks.

Only what narrows the run is taken: path arguments that name files or folders inside the
project, and a short list of exclusion options per tool (``--exclude``,
``--extend-exclude``, isort's ``--skip``...). Everything else on the line is ignored, so
a task file cannot add options that change what a tool does (the project's own config
files already decide the rest).
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

# Options that only narrow what a tool looks at, per check; given as --opt=value or
# --opt value, they are passed on as --opt=value.
NARROWING = {
    "flake8": ("--exclude", "--extend-exclude"),
    "black": ("--exclude", "--extend-exclude", "--force-exclude"),
    "isort": ("--skip", "--skip-glob", "--extend-skip", "--extend-skip-glob"),
    "pylint": ("--ignore", "--ignore-paths", "--ignore-patterns"),
    "mypy": ("--exclude",),
    "ruff": ("--exclude", "--extend-exclude"),
    "format": ("--exclude", "--extend-exclude"),
}
_END = re.compile(r"&&|\|\||[;|)`]|\$\(")


@dataclass(frozen=True, kw_only=True, slots=True)
class Invocation:
    """The targets and narrowing options the project gives a tool, and where."""

    where: str
    targets: tuple[str, ...]
    options: tuple[str, ...] = ()
    # A check run (`--check`, `--diff`), not the fixing run of a format script.
    checking: bool = True


def targets_and_options(found: Invocation | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """The tool's trailing arguments: the project's narrowing options and targets (file
    names never taken for options), else ``default``."""
    if found is None:
        return default
    from .tools import dot_slash

    return (*found.options, *dot_slash(found.targets))


def parse(check: str, rest: str, where: str, root: Path) -> Invocation | None:
    """The invocation whose arguments are ``rest`` (the text after the tool's name on
    its line), or None when it names no path in the project."""
    line = _END.split(rest.split("\n", 1)[0], maxsplit=1)[0]
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    if (check == "format" and words[:1] == ["format"]) or (
        check == "ruff" and words[:1] == ["check"]
    ):
        words = words[1:]
    narrowing = NARROWING.get(check, ())
    targets: list[str] = []
    options: list[str] = []
    pending: str | None = None
    real_root = Path(os.path.realpath(root))
    for word in words:
        if pending is not None:
            options.append(f"{pending}={word}")
            pending = None
            continue
        if word.startswith("-"):
            name, eq, value = word.partition("=")
            if name in narrowing:
                if eq:
                    options.append(f"{name}={value}")
                else:
                    pending = name
            continue
        if "$" in word or "*" in word or word.startswith(("/", "~")) or ".." in Path(word).parts:
            continue
        path = root / word
        if (path.exists() or path.is_symlink()) and Path(os.path.realpath(path)).is_relative_to(
            real_root
        ):
            targets.append(word.rstrip("/") or ".")
    if not targets:
        return None
    fixer = check in ("black", "isort", "format")
    checking = not fixer or bool({"--check", "--check-only", "--diff", "-c"} & set(words))
    return Invocation(
        where=where, targets=tuple(targets), options=tuple(options), checking=checking
    )
