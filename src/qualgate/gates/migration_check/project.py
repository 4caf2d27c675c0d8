"""Where a project's Alembic revisions live, read from alembic.ini without importing Alembic."""

from __future__ import annotations

import configparser
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate.errors import GateError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True, kw_only=True, slots=True)
class AlembicProject:
    """The parts of an alembic.ini section the gate needs."""

    root: Path
    ini: Path
    section: str
    script_location: Path
    version_locations: tuple[Path, ...]
    recursive: bool
    url: str | None
    toml: Path | None = None  # pyproject.toml, when it has [tool.alembic]
    # Where `alembic` runs: the root, or the ini's folder when the config's relative paths
    # only make sense from there (``cd src && alembic upgrade head``).
    workdir: Path | None = None

    def revision_files(self) -> list[Path]:
        """Every revision module Alembic would load, sorted."""
        files: set[Path] = set()
        for folder in self.version_locations:
            if not folder.is_dir():
                continue
            pattern = "**/*.py" if self.recursive else "*.py"
            files.update(p for p in folder.glob(pattern) if p.name != "__init__.py" and p.is_file())
        return sorted(files)


def has_section(ini: Path, section: str = "alembic") -> bool:
    parser = configparser.ConfigParser()
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return ini.is_file()
    return parser.has_section(section)


def has_alembic(root: Path, ini: str | Path = "alembic.ini") -> bool:
    """Whether ``root`` has an Alembic config: ``ini`` (found by `find_ini`) with an
    ``[alembic]`` section, or (without ``ini``) ``[tool.alembic]`` in pyproject.toml."""
    path = find_ini(root, str(ini))
    if path.is_file():
        return has_section(path)
    return toml_settings(root) is not None


def find_ini(root: Path, name: str = "alembic.ini") -> Path:
    """``name`` in the root; else the one alembic.ini one or two folders down (``src/``,
    ``backend/``), outside tests and environments; else ``root / name`` (absent)."""
    given = Path(name)
    path = given if given.is_absolute() else root / given
    if path.is_file() or given.is_absolute() or given.name != name or toml_settings(root):
        return path
    found = ini_candidates(root, name)
    return found[0] if len(found) == 1 else path


def ini_candidates(root: Path, name: str = "alembic.ini") -> list[Path]:
    """Every ``name`` one or two folders below the root, outside tests and environments,
    that names its scripts (Flask-Migrate's ``migrations/alembic.ini`` does not: the app
    sets script_location at run time, so it is no config to run alone)."""
    return [
        p
        for pattern in (f"*/{name}", f"*/*/{name}")
        for p in sorted(root.glob(pattern))
        if p.is_file()
        and not p.is_symlink()
        and not any(
            part.startswith(".") or part in _NOT_HERE for part in p.relative_to(root).parts[:-1]
        )
        and _names_scripts(p)
    ]


def _names_scripts(ini: Path) -> bool:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ini, encoding="utf-8")
        return bool(parser.get("alembic", "script_location", fallback="").strip())
    except (configparser.Error, OSError, UnicodeDecodeError):
        return False


# Folders whose alembic.ini is not the project's own (tests' fixtures, environments).
_NOT_HERE = frozenset(
    ("tests", "test", "docs", "examples", "node_modules", "venv", "site-packages", "build")
)


def _resolve(root: Path, ini: Path, value: str) -> Path:
    value = value.strip()
    if ":" in value and not re.match(r"^[A-Za-z]:[\\/]", value):
        # "package:folder" (a resource inside an importable package): look in the tree.
        package, _, sub = value.partition(":")
        parts = package.split(".")
        for base in (root, root / "src"):
            candidate = base.joinpath(*parts, sub)
            if candidate.is_dir():
                return candidate
        return root.joinpath(*parts, sub)
    path = Path(value)
    # Alembic resolves a relative script_location against the working directory, which
    # the gate (and the worker) set to the project root.
    return path if path.is_absolute() else root / path


def toml_settings(root: Path) -> dict[str, Any] | None:
    """``[tool.alembic]`` of the root's pyproject.toml (Alembic 1.16+), or None."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, OSError):
        return None
    table = data.get("tool", {}).get("alembic")
    return table if isinstance(table, dict) else None


def load(root: Path, ini_name: str | Path, section: str | None) -> AlembicProject:
    """Read ``ini_name`` (relative to ``root``) and ``[tool.alembic]``; GateError when unusable."""
    ini = Path(ini_name)
    if not ini.is_absolute():
        ini = root / ini
    section = section or "alembic"
    toml = toml_settings(root)
    parser = configparser.ConfigParser(
        defaults={"here": str(ini.parent.resolve())}, interpolation=None
    )
    if ini.is_file():
        try:
            with ini.open(encoding="utf-8") as handle:
                parser.read_file(handle)
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise GateError(
                f"{ini.name} is not a valid ini file: {exc}".splitlines()[0],
                "fix the syntax of the Alembic config file",
            ) from exc
        if not parser.has_section(section):
            found = ", ".join(parser.sections()) or "none"
            raise GateError(
                f"{ini.name} has no [{section}] section (sections: {found})",
                "pass --name with the section of the database to check",
            )
    where = ini.name if toml is None else f"{ini.name} / pyproject.toml [tool.alembic]"

    def get(key: str) -> str | None:
        raw: Any = parser.get(section, key, fallback=None) if parser.has_section(section) else None
        here = ini.parent.resolve()
        if raw is None and toml is not None and key in toml:
            # pyproject.toml holds the source-code options in Alembic 1.16+.
            raw, here = toml[key], root.resolve()
            if isinstance(raw, list):
                raw = "\n".join(str(item) for item in raw)
            raw = str(raw)
        if raw is None:
            return None
        return str(raw).replace("%(here)s", str(here)).replace("%%", "%")

    location = get("script_location")
    if not location:
        raise GateError(
            f"{where} [{section}] has no script_location",
            "set script_location to the folder holding env.py",
        )
    workdir = root
    script = _resolve(root, ini, location)
    if (
        not (script / "env.py").is_file()
        and (_resolve(ini.parent, ini, location) / "env.py").is_file()
    ):
        # Relative to the ini's folder, where the project runs alembic from.
        workdir = ini.parent
        script = _resolve(workdir, ini, location)
    if not (script / "env.py").is_file():
        raise GateError(
            f"{where} [{section}]: script_location {location} has no env.py",
            "point script_location at the folder created by `alembic init`",
        )
    versions_raw = get("version_locations")
    if versions_raw:
        separator = (get("path_separator") or get("version_path_separator") or "").strip()
        splitter = {"space": " ", "newline": "\n", ":": ":", ";": ";", "os": ":"}.get(separator)
        if "\n" in versions_raw:
            splitter = "\n"
        pieces = (
            versions_raw.split(splitter)
            if splitter and splitter != " "
            else re.split(r"[\s,]+", versions_raw)
        )
        versions = tuple(_resolve(workdir, ini, p) for p in pieces if p.strip())
    else:
        versions = (script / "versions",)
    recursive = (get("recursive_version_locations") or "").strip().lower() in (
        "true",
        "1",
        "yes",
        "on",
    )
    return AlembicProject(
        root=root,
        ini=ini,
        section=section,
        script_location=script,
        version_locations=versions,
        recursive=recursive,
        url=get("sqlalchemy.url"),
        toml=root / "pyproject.toml" if toml is not None else None,
        workdir=workdir,
    )


def workdir_of(root: Path, ini: Path, name: str | None) -> Path:
    """Where alembic runs for this config (`AlembicProject.workdir`); the root when the
    config cannot be read (the worker then reports what is wrong with it)."""
    try:
        return load(root, ini, name).workdir or root
    except GateError:
        return root
