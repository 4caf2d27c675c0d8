"""The project's environment: which interpreter and which tool binaries lint-format runs.

A repository must not choose the binaries a reader gate runs (a pull request could commit
``.venv/bin/ruff`` or ``.venv/bin/python``). The rule:

- ``--python`` / ``--ruff`` (command line or ``QUALGATE_LINT_FORMAT_*``; never repository
  config) are the user's choice and are used as given;
- a virtual environment inside the project (``.venv``, ``venv``) is used only when the
  project is a git work tree and git tracks nothing in it (nor the folder itself, nor what
  a link in it leads to): a folder the developer or the CI job created, not one the
  repository delivered. Outside a git work tree qualgate cannot tell, and uses none;
- any other binary found on ``PATH`` that lies inside the project obeys the same rule.

A refused environment is reported in the verdict (``metrics.environment``) with the
command that uses it anyway.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from qualgate import process
from qualgate.errors import GateError, ToolMissing

# The folders, relative to the root, where a project keeps its virtual environment.
VENV_DIRS = (".venv", "venv")
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


def _inside(path: Path, root: Path) -> bool:
    lexical = Path(os.path.abspath(path))
    real = Path(os.path.realpath(path))
    real_root = Path(os.path.realpath(root))
    return any(
        p.is_relative_to(r)
        for p in (lexical, real)
        for r in (Path(os.path.abspath(root)), real_root)
    )


def _venv_of(path: Path, root: Path) -> Path:
    """The environment folder a binary belongs to: the nearest folder with pyvenv.cfg
    below the root, else the binary's own folder's parent (``bin/..``)."""
    lexical = Path(os.path.abspath(path))
    for parent in lexical.parents:
        if parent == Path(os.path.abspath(root)) or not parent.is_relative_to(root):
            break
        if (parent / "pyvenv.cfg").is_file():
            return parent
    return lexical.parent.parent if lexical.parent != Path(os.path.abspath(root)) else lexical


def refusal(path: Path, root: Path) -> str | None:
    """Why the binary ``path`` found by discovery may not run, or None when it may."""
    if not _inside(path, root):
        return None
    venv = _venv_of(path, root)
    shown = os.path.relpath(venv, root)
    targets = {shown}
    for p in (venv, path):
        real = Path(os.path.realpath(p))
        if real.is_relative_to(Path(os.path.realpath(root))):
            targets.add(os.path.relpath(real, os.path.realpath(root)))
    try:
        done = process.run(
            ["git", "ls-files", "-z", "--", *sorted(f"./{t}" for t in targets)],
            cwd=root,
            timeout=30,
        )
    except (GateError, OSError):
        done = None
    if done is None or done.returncode != 0:
        return (
            f"{shown} lies in the project and the project is not a git work tree: "
            "qualgate cannot tell whether it was made here or shipped with the code"
        )
    tracked = [p for p in done.stdout.split("\0") if p]
    if tracked:
        return f"git tracks {tracked[0]}: the repository ships {shown}, so qualgate does not run it"
    return None


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
    """The project's interpreter: ``--python``, else a trusted ``.venv``/``venv``, else ours."""
    if given is not None:
        if not given.exists():
            raise GateError(
                f"--python {given}: no such interpreter",
                "point --python at the project's python (e.g. .venv/bin/python)",
            )
        return Environment(root=root, python=str(given), own=True)
    refused: list[str] = []
    for name in VENV_DIRS:
        for sub in ("bin/python", "Scripts/python.exe"):
            candidate = root / name / sub
            if not (candidate.exists() or candidate.is_symlink()):
                continue
            why = refusal(candidate, root)
            if why is None:
                return Environment(root=root, python=str(candidate), own=True)
            refused.append(
                f"{name}/{sub} not used ({why}); to use it anyway: --python {name}/{sub}"
            )
    same = sys.executable
    return Environment(root=root, python=same, own=False, refused=refused)


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
    if found is None or refusal(Path(found), root) is not None:
        return None
    return found
