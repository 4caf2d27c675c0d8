"""PEP 621 ``[project] dependencies`` / ``optional-dependencies``, PEP 735 groups, and
Poetry's ``[tool.poetry.dependencies]`` / ``[tool.poetry.group.*.dependencies]`` tables.

These are library-style requirements: ranges are normal here, so they are not held to
``require-pins``; a range is only reported when no lock or requirement file pins it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qualgate.gates.dependency_scan.model import Dependency, Ecosystem, PinKind, Problem
from qualgate.gates.dependency_scan.sources._common import (
    Parsed,
    Rel,
    SourceError,
    load_toml,
    read_text,
    requirement_dependency,
)
from qualgate.gates.dependency_scan.sources._lines import LineFinder


def parse(path: Path, rel: Rel) -> Parsed:
    parsed = Parsed()
    relpath = rel(path)
    parsed.files.append(relpath)
    text = read_text(path)
    data = load_toml(text)
    finder = LineFinder(text)
    project = data.get("project")
    groups: list[tuple[str, bool, Any]] = []
    if isinstance(project, dict):
        groups.append((r"^[ \t]*dependencies[ \t]*=", False, project.get("dependencies", [])))
        optional = project.get("optional-dependencies", {})
        if isinstance(optional, dict):
            for extra, reqs in optional.items():
                key = rf"^[ \t]*['\"]?{re.escape(extra)}['\"]?[ \t]*="
                groups.append((key, extra in ("dev", "test", "tests", "lint", "docs"), reqs))
    dependency_groups = data.get("dependency-groups")
    if isinstance(dependency_groups, dict):
        for group, reqs in dependency_groups.items():
            key = rf"^[ \t]*['\"]?{re.escape(group)}['\"]?[ \t]*="
            groups.append((key, True, reqs))
    for key, dev, reqs in groups:
        if not isinstance(reqs, list):
            raise SourceError(f"dependency list is not an array near {key!r}")
        _, offset = finder.find(key)
        for req in reqs:
            if not isinstance(req, str):
                continue  # PEP 735 {include-group = "..."}: its group is read on its own
            line, after = finder.find(r"['\"]" + re.escape(req) + r"['\"]", offset)
            if line is not None:
                offset = after
            try:
                parsed.dependencies.append(
                    requirement_dependency(
                        req,
                        path=relpath,
                        line=line,
                        source="pyproject",
                        application=False,
                        dev=dev,
                    )
                )
            except SourceError as exc:
                parsed.problems.append(
                    Problem(rule="parse-error", message=exc.message, path=relpath, line=line)
                )
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables: list[tuple[str, bool, Any]] = [
            (r"^\[tool\.poetry\.dependencies\]", False, poetry.get("dependencies")),
            (r"^\[tool\.poetry\.dev-dependencies\]", True, poetry.get("dev-dependencies")),
        ]
        for group, body in (poetry.get("group") or {}).items():
            if isinstance(body, dict):
                header = rf"^\[tool\.poetry\.group\.{re.escape(group)}\.dependencies\]"
                tables.append((header, True, body.get("dependencies")))
        for header, dev, table in tables:
            if isinstance(table, dict):
                _poetry_table(table, header, dev, finder, relpath, parsed)
    return parsed


_POETRY_EXACT = re.compile(r"^=?=?\s*(\d[0-9A-Za-z.+!-]*)$")
_POETRY_LOCAL = ("git", "path", "url", "file")


def _poetry_table(
    table: dict[str, Any], header: str, dev: bool, finder: LineFinder, relpath: str, parsed: Parsed
) -> None:
    """Poetry constraints: a bare ``1.2.3`` (or ``==1.2.3``) is exact; ``^``/``~``/``*`` ranges."""
    _, offset = finder.find(header)
    for name, spec in table.items():
        if name.lower() == "python":
            continue  # the interpreter constraint, not a package
        line, after = finder.find(rf"^[ \t]*['\"]?{re.escape(name)}['\"]?[ \t]*=", offset)
        if line is not None:
            offset = after  # the table's keys come in file order
        entries = spec if isinstance(spec, list) else [spec]  # multiple-constraint form
        for entry in entries:
            version = entry.get("version") if isinstance(entry, dict) else entry
            local = (
                next((k for k in _POETRY_LOCAL if k in entry), None)
                if isinstance(entry, dict)
                else None
            )
            common: dict[str, Any] = {
                "name": name,
                "ecosystem": Ecosystem.PYPI,
                "path": relpath,
                "line": line,
                "source": "pyproject",
                "application": False,
                "dev": dev,
            }
            if local is not None and isinstance(entry, dict):
                parsed.dependencies.append(
                    Dependency(**common, kind=PinKind.UNSCANNABLE, detail=f"{local} {entry[local]}")
                )
                continue
            text = str(version or "*").strip()
            exact = _POETRY_EXACT.match(text)
            if exact:
                parsed.dependencies.append(
                    Dependency(
                        **common, kind=PinKind.PINNED, version=exact.group(1), specifier=text
                    )
                )
            else:
                parsed.dependencies.append(Dependency(**common, kind=PinKind.RANGE, specifier=text))
