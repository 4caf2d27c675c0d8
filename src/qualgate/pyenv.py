"""Which interpreter is the project's, and whether the repository may have chosen it.

qualgate runs from its own isolated environment (pipx, ``uv tool``, a venv of its own) and
points the gates that need the project's packages at the project's interpreter. In order:

1. ``--python`` (command line or ``QUALGATE_<GATE>_PYTHON``; repository config only for
   the gates that run the project's code anyway: `python_option`'s ``cli_only``),
   else ``$QUALGATE_PYTHON`` (every gate at once: an isolated install in CI);
2. the project's virtual environment: ``.venv`` or ``venv`` in the root;
3. a workspace's: ``.venv``/``venv`` in a folder above the root, up to the repository's
   top (a uv workspace keeps one environment at the workspace root for every member);
4. the active virtual environment (``$VIRTUAL_ENV``), when it is not qualgate's own;
5. qualgate's own interpreter (right when the project is installed beside qualgate).

The trust rule (SECURITY.md) for the gates that only read the project: a repository must
not choose a binary they run (a pull request could commit ``.venv/bin/python`` or
``.venv/bin/ruff``). A binary inside the repository is used only when the project is a
git work tree and git tracks nothing of its environment (nor the folder itself, nor what
a link in it leads to): a folder the developer or the CI job created, not one the
repository delivered. Outside a git work tree qualgate cannot tell, and uses none.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from qualgate import process
from qualgate.errors import GateError, ToolMissing
from qualgate.fsutil import read_text_bounded
from qualgate.options import Kind, Option

# The folders where a project (or a workspace) keeps its virtual environment.
VENV_DIRS = (".venv", "venv")
_BINARIES = ("bin/python", "Scripts/python.exe")
# The project's interpreter for every gate at once (below --python / QUALGATE_<GATE>_PYTHON).
GLOBAL_ENV = "QUALGATE_PYTHON"
# How far above the root a repository's top (its .git) is looked for.
_LEVELS = 16


@dataclass(frozen=True, kw_only=True, slots=True)
class Interpreter:
    """The interpreter chosen, and where it came from."""

    path: str
    # "given" (--python), "project" (a venv in the root), "workspace" (a venv above it),
    # "active" ($VIRTUAL_ENV), "qualgate" (qualgate's own: the project has none).
    source: str
    # Interpreters found but not used (the trust rule): (path shown from the root, why).
    refused: tuple[tuple[str, str], ...] = field(default=())

    @property
    def own(self) -> bool:
        """Whether this is the project's interpreter rather than qualgate's."""
        return self.source != "qualgate"


def python_option(purpose: str, *, cli_only: bool, trusted: bool = False) -> Option:
    """The ``--python`` option of a gate that uses the project's interpreter ``purpose``
    ("that runs env.py"); ``cli_only``: repository config may not set it; ``trusted``:
    the gate only reads the project (the trust rule applies to what is found)."""
    found = "$QUALGATE_PYTHON, the project's .venv/venv, a workspace's above it"
    found += " (unless git tracks it)" if trusted else ""
    where = " Command line or environment only." if cli_only else ""
    return Option(
        name="python",
        kind=Kind.PATH,
        metavar="PYTHON",
        cli_only=cli_only,
        help=f"The project's interpreter {purpose} (default: {found}, $VIRTUAL_ENV, else "
        f"qualgate's own).{where}",
    )


def repository_top(root: Path) -> Path | None:
    """The nearest folder at or above ``root`` holding ``.git`` (None: not in a repository)."""
    folder = Path(os.path.abspath(root))
    for _ in range(_LEVELS):
        if (folder / ".git").exists():
            return folder
        if folder.parent == folder:
            return None
        folder = folder.parent
    return None


def venv_candidates(root: Path) -> list[tuple[Path, str]]:
    """Interpreters of virtual environments: the root's own, then its workspace's."""
    root = Path(os.path.abspath(root))
    folders = [(root, "project")]
    top = repository_top(root)
    if top is not None and top != root:
        folders += [(f, "workspace") for f in root.parents if f.is_relative_to(top)]
    return [
        (folder / name / binary, source)
        for folder, source in folders
        for name in VENV_DIRS
        for binary in _BINARIES
    ]


def find(root: Path, given: str | os.PathLike[str] | None, *, trusted: bool = False) -> Interpreter:
    """The project's interpreter (see the module's docstring).

    ``trusted``: apply the trust rule to environments found in the repository (the gates
    that only read the project). Raises `GateError` when ``given`` does not exist.
    """
    named = "--python"
    if not given and os.environ.get(GLOBAL_ENV):
        named, given = f"${GLOBAL_ENV}", os.environ[GLOBAL_ENV]
    if given:
        if not Path(given).exists():
            raise GateError(
                f"{named} {given}: no such interpreter",
                f"point {named} at the project's python (e.g. .venv/bin/python)",
            )
        return Interpreter(path=str(given), source="given")
    refused: list[tuple[str, str]] = []
    for candidate, source in venv_candidates(root):
        if not (candidate.exists() or candidate.is_symlink()):
            continue
        why = shipped(candidate, root) if trusted else None
        if why is None:
            return Interpreter(path=str(candidate), source=source, refused=tuple(refused))
        refused.append((os.path.relpath(candidate, root), why))
    active = os.environ.get("VIRTUAL_ENV")
    # A venv's python links to its base interpreter: compare the environments, not files.
    if active and os.path.realpath(active) != os.path.realpath(sys.prefix):
        for binary in _BINARIES:
            candidate = Path(active) / binary
            if not candidate.exists():
                continue
            # A CI job may activate the checkout's committed .venv: the same rule holds.
            why = shipped(candidate, root) if trusted else None
            if why is None:
                return Interpreter(path=str(candidate), source="active", refused=tuple(refused))
            refused.append((os.path.relpath(candidate, root), why))
    return Interpreter(path=sys.executable, source="qualgate", refused=tuple(refused))


def version_of(python: str) -> str | None:
    """The X.Y.Z of an interpreter without running it: ours, else its venv's pyvenv.cfg
    (``version`` from venv and virtualenv, ``version_info`` from uv); None when unknown."""
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return ".".join(str(n) for n in sys.version_info[:3])
    try:
        text = read_text_bounded(Path(python).parent.parent / "pyvenv.cfg", 64 * 1024, "replace")
    except (OSError, ValueError):
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info") and value.strip()[:1].isdigit():
            return ".".join(value.strip().split(".")[:3])
    return None


def unsupported(root: Path, python: str) -> str | None:
    """Why ``python`` cannot run the project: its ``[project] requires-python`` excludes the
    interpreter's version (None: supported, or either is unknown). A hint for the errors of
    the gates that run the project's code: a SyntaxError there is not the code's defect."""
    version = version_of(python)
    spec = None if version is None else excluding(root, version)
    if spec is None:
        return None
    return f"the project requires Python {spec} and its interpreter ({python}) is Python {version}"


def excluding(root: Path, version: str) -> str | None:
    """The project's ``[project] requires-python`` when it excludes Python ``version``
    (None: it admits it, or there is no readable one)."""
    # Loaded here: every command imports this module, few ask this question.
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(read_text_bounded(root / "pyproject.toml", 1024 * 1024))
        requires = data.get("project", {}).get("requires-python")
        spec = SpecifierSet(requires) if isinstance(requires, str) else None
    except (OSError, ValueError, RecursionError, AttributeError, InvalidSpecifier):
        return None
    if spec is None or spec.contains(version, prereleases=True):
        return None
    return str(spec)


def _inside(path: Path, folder: Path) -> bool:
    lexical = Path(os.path.abspath(path))
    real = Path(os.path.realpath(path))
    return any(
        p.is_relative_to(r)
        for p in (lexical, real)
        for r in (Path(os.path.abspath(folder)), Path(os.path.realpath(folder)))
    )


def _venv_of(path: Path, top: Path) -> Path:
    """The environment folder a binary belongs to: the nearest folder with pyvenv.cfg
    below ``top``, else ``bin/..`` of a ``bin`` (``Scripts``) folder, else the binary."""
    lexical = Path(os.path.abspath(path))
    top = Path(os.path.abspath(top))
    for parent in lexical.parents:
        if parent == top or not parent.is_relative_to(top):
            break
        if (parent / "pyvenv.cfg").is_file():
            return parent
    folder = lexical.parent
    if folder.name in ("bin", "Scripts") and folder.parent != top:
        return folder.parent
    return lexical


def shipped(path: Path, root: Path, timeout: float = 30) -> str | None:
    """Why the binary ``path`` may not run for a gate that only reads the project (the
    repository may have delivered it), or None when it may."""
    top = repository_top(root) or Path(os.path.abspath(root))
    if not (_inside(path, root) or _inside(path, top)):
        return None
    venv = _venv_of(path, top)
    shown = os.path.relpath(venv, root)
    real_top = Path(os.path.realpath(top))
    targets = {os.path.relpath(os.path.abspath(venv), os.path.abspath(top))}
    for p in (venv, path):
        real = Path(os.path.realpath(p))
        if real.is_relative_to(real_top):
            targets.add(os.path.relpath(real, real_top))
    try:
        done = process.run(
            ["git", "ls-files", "-z", "--", *sorted(f"./{t}" for t in targets)],
            cwd=top,
            timeout=min(30.0, timeout),
        )
    except (GateError, ToolMissing, OSError):
        done = None
    if done is None or done.returncode != 0:
        return (
            f"{shown} lies in the project and the project is not a git work tree, so "
            "qualgate cannot tell whether it was made here or shipped with the code"
        )
    tracked = [p for p in done.stdout.split("\0") if p]
    if tracked:
        return (
            f"the repository commits its own environment (git tracks {tracked[0]}), "
            "so qualgate does not run it"
        )
    return None
