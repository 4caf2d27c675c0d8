"""Finding ruff and mypy, and the shared shape of one check's outcome.

ruff is looked up as ``<root>/.venv/bin/ruff``, then next to the interpreter running
qualgate, then on ``PATH``. mypy must see the project's installed packages, so it runs
as ``<project python> -m mypy`` when the project's interpreter has mypy, else as our
mypy with ``--python-executable <project python>``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from qualgate import process
from qualgate.errors import GateError, ToolMissing
from qualgate.verdict import Check, Finding

# mypy's JSON output (`--output json`) appeared in mypy 1.11.
MYPY_MIN = (1, 11)


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """What one check produced: its `Check` entry and findings, and why it errored."""

    check: Check
    findings: tuple[Finding, ...] = ()
    # For a check that errored: what went wrong, and what to do about it.
    reason: str | None = None
    hint: str | None = None


def shown(path: str | Path, root: Path) -> str:
    """A path as a user types it: relative to the root when inside it."""
    p = Path(path)
    try:
        rel = p.relative_to(root)
    except ValueError:
        return str(p)
    return str(Path(rel.as_posix())) if str(rel) != "." else "."


def pip_install(python: str, root: Path, package: str) -> str:
    """The exact command that installs ``package`` where the gate looks for it."""
    quoted = f"'{package}'" if any(ch in package for ch in "<>=") else package
    return f"{shown(python, root)} -m pip install {quoted}"


def find_ruff(root: Path, explicit: Path | None, python: str) -> str:
    """The ruff executable to run; `ToolMissing` with the install command when none."""
    hint = f"install ruff: `{pip_install(python, root, 'ruff')}`"
    if explicit is not None:
        if explicit.is_file() and os.access(explicit, os.X_OK):
            return str(explicit)
        raise ToolMissing(f"ruff is not installed: {explicit} does not exist", hint)
    candidates = [
        root / ".venv" / "bin" / "ruff",
        Path(sys.executable).parent / "ruff",
        Path(sysconfig.get_path("scripts")) / "ruff",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    ours = _ruff_package_binary()
    if ours:
        return ours
    on_path = shutil.which("ruff")
    if on_path:
        return on_path
    raise ToolMissing("ruff is not installed (not in .venv, beside qualgate, nor on PATH)", hint)


def _ruff_package_binary() -> str | None:
    """The binary of the ruff package beside qualgate, wherever pip put its scripts
    (``--user``, a prefix...): the package's own `find_ruff_bin` knows."""
    if importlib.util.find_spec("ruff") is None:
        return None
    try:
        # import_module: the ruff package ships no type information.
        package = importlib.import_module("ruff")
        return str(package.find_ruff_bin())
    except (ImportError, AttributeError, FileNotFoundError):
        return None


def ruff_version(ruff: str, root: Path) -> str | None:
    return process.tool_version((ruff, "--version"), str(root))


def _parse_version(text: str) -> tuple[int, ...]:
    """``"1.11.2+dev"`` -> (1, 11, 2); a pre-release tail ends the number (2.0rc1 -> (2, 0))."""
    parts: list[int] = []
    for piece in text.split("."):
        match = re.match(r"\d+", piece)
        if match is None:
            break
        parts.append(int(match.group(0)))
        if match.end() != len(piece):
            break
    return tuple(parts)


@dataclass(frozen=True, kw_only=True, slots=True)
class MypyCommand:
    """How to start mypy for the project, and which mypy that is."""

    prefix: tuple[str, ...]
    version: str


_PROBE = (
    "import importlib.metadata as m\n"
    "try:\n    print(m.version('mypy'))\n"
    "except m.PackageNotFoundError:\n    print('')\n"
)


def find_mypy(root: Path, python: str, timeout: float) -> MypyCommand:
    """``<python> -m mypy`` when the project has mypy, else ours pointed at its python."""
    version = ""
    # Not realpath: a venv's python is a symlink to the base interpreter, yet it has
    # its own site-packages.
    same = os.path.abspath(python) == os.path.abspath(sys.executable)
    if same:
        version = _our_mypy_version() or ""
    else:
        try:
            done = process.run([python, "-c", _PROBE], cwd=root, timeout=min(timeout, 60))
        except ToolMissing as exc:
            raise GateError(
                f"the project interpreter {python} cannot be run",
                "point --python at a working interpreter",
            ) from exc
        if done.returncode != 0:
            raise GateError(
                f"the project interpreter {python} failed: {_first_line(done.stderr)}",
                "point --python at a working interpreter",
            )
        version = done.stdout.strip()
    prefix: tuple[str, ...]
    if version:
        prefix = (python, "-m", "mypy")
    else:
        version = _our_mypy_version() or ""
        if not version:
            raise ToolMissing(
                "mypy is not installed (neither in the project's interpreter nor beside qualgate)",
                f"install mypy: `{pip_install(python, root, 'mypy')}`",
            )
        prefix = (sys.executable, "-m", "mypy", "--python-executable", python)
    if _parse_version(version) < MYPY_MIN:
        raise GateError(
            f"mypy {version} is too old: JSON output needs mypy >= 1.11",
            f"upgrade it: `{pip_install(prefix[0], root, 'mypy>=1.11')}`",
        )
    return MypyCommand(prefix=prefix, version=version)


def _our_mypy_version() -> str | None:
    """The version of the mypy beside qualgate, without importing mypy (~50 ms)."""
    spec = importlib.util.find_spec("mypy")
    if spec is None or not spec.origin:
        return None
    # The installed distribution's folder, next to the package, carries the version.
    site = Path(spec.origin).parent.parent
    for info in sorted(site.glob("mypy-*.dist-info")):
        version = info.name[len("mypy-") : -len(".dist-info")]
        if version[:1].isdigit():
            return version
    from importlib import metadata

    try:
        return metadata.version("mypy")
    except metadata.PackageNotFoundError:
        return None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "no output"


first_line = _first_line
