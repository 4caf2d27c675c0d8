"""The project's environment: which interpreter and which tool binaries lint-format runs.

A repository must not choose the binaries a reader gate runs (a pull request could commit
``.venv/bin/ruff`` or ``.venv/bin/python``). The rule:

- ``--python`` / ``--ruff`` (command line or ``QUALGATE_LINT_FORMAT_*``; never repository
  config) are the user's choice and are used as given;
- a virtual environment of the project or its workspace (``.venv``, ``venv``) is used only
  when git tracks nothing in it: the trust rule of `qualgate.pyenv`, shared by every
  reader gate;
- any other binary found on ``PATH`` that lies inside the repository obeys the same rule.

A refused environment is reported in the verdict (``metrics.environment``) with the
command that uses it anyway.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from qualgate import process, pyenv
from qualgate.errors import GateError, ToolMissing

# Distributions whose versions one probe of the project's interpreter reports.
PROBED = ("mypy", "black", "isort", "flake8", "pylint", "pyright", "basedpyright", "ruff")
_PROBE = (
    "import json, importlib.metadata as m\n"
    "out = {}\n"
    "for d in m.distributions():\n"
    "    n = (d.metadata['Name'] or '').lower().replace('_', '-')\n"
    "    if n in NAMES or n in PLUGINS or n.startswith(('flake8-', 'pylint-', 'pep8-')):\n"
    "        out.setdefault(n, d.version)\n"
    "print(json.dumps(out))\n"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolCommand:
    """How to start one tool, which version it is, and whose it is."""

    prefix: tuple[str, ...]
    version: str
    # "project" (the project's environment), "qualgate" (beside qualgate), "path", "given".
    source: str


@dataclass(kw_only=True)
class Environment:
    """The interpreter lint-format treats as the project's, and the tools available."""

    root: Path
    # The project's interpreter; qualgate's own when the project has none (or it is refused).
    python: str
    # Whether `python` is the project's (given or a trusted venv) rather than qualgate's.
    own: bool
    # Environments found but not used, with why (shown in the verdict).
    refused: list[str] = field(default_factory=list)
    _versions: dict[str, str] | None = None

    def versions(self, timeout: float) -> dict[str, str]:
        """Versions of the lint tools (and flake8/pylint plugins) in the project's env."""
        if self._versions is None:
            self._versions = _probe(self.python, self.root, timeout) if self.own else {}
        return self._versions

    def install_hint(self, requirement: str) -> str:
        python = self.python if self.own else sys.executable
        quoted = f"'{requirement}'" if any(ch in requirement for ch in "<>=!~") else requirement
        return f"`{_shown(python, self.root)} -m pip install {quoted}`"


def _shown(path: str, root: Path) -> str:
    try:
        rel = Path(path).relative_to(root)
    except ValueError:
        return path
    return rel.as_posix()


def resolve(root: Path, given: Path | None) -> Environment:
    """The project's interpreter under the trust rule (`qualgate.pyenv`), else ours."""
    found = pyenv.find(root, given, trusted=True)
    refused = [f"{p} not used ({why}); to use it anyway: --python {p}" for p, why in found.refused]
    return Environment(root=root, python=found.path, own=found.own, refused=refused)


def _probe(python: str, root: Path, timeout: float) -> dict[str, str]:
    plugins = {"wemake-python-styleguide", "darglint", "dlint", "pandas-vet"}
    code = f"NAMES = {set(PROBED)!r}\nPLUGINS = {plugins!r}\n{_PROBE}"
    try:
        done = process.run([python, "-c", code], cwd=root, timeout=min(timeout, 60))
    except ToolMissing as exc:
        raise GateError(
            f"the project interpreter {python} cannot be run",
            "point --python at a working interpreter",
        ) from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise GateError(
            f"the project interpreter {python} failed: {lines[-1] if lines else 'no output'}",
            "point --python at a working interpreter",
        )
    try:
        data = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def our_version(dist: str) -> str | None:
    """The version of ``dist`` installed beside qualgate (None when absent)."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def python_tool(env: Environment, dist: str, module: str, timeout: float) -> ToolCommand | None:
    """``<python> -m <module>`` from the project's env, else from qualgate's (None: neither)."""
    version = env.versions(timeout).get(dist) if env.own else None
    if version:
        return ToolCommand(prefix=(env.python, "-m", module), version=version, source="project")
    version = our_version(dist)
    if version:
        return ToolCommand(
            prefix=(sys.executable, "-m", module), version=version, source="qualgate"
        )
    return None


def path_tool(root: Path, name: str) -> str | None:
    """``name`` on PATH, unless it lies in the project without passing the trust rule."""
    found = shutil.which(name)
    if found is None or pyenv.shipped(Path(found), root) is not None:
        return None
    return found
