"""PEP 621 ``[project] dependencies`` / ``optional-dependencies`` and PEP 735 groups.

These are library-style requirements: ranges are normal here, so they are not held to
``require-pins``; a range is only reported when no lock or requirement file pins it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qualgate.gates.deps.sources._common import (
    LineFinder,
    Parsed,
    Rel,
    SourceError,
    load_toml,
    read_text,
    requirement_dependency,
)


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
        groups.append((r"^\s*dependencies\s*=", False, project.get("dependencies", [])))
        optional = project.get("optional-dependencies", {})
        if isinstance(optional, dict):
            for extra, reqs in optional.items():
                key = rf"^\s*['\"]?{re.escape(extra)}['\"]?\s*="
                groups.append((key, extra in ("dev", "test", "tests", "lint", "docs"), reqs))
    dependency_groups = data.get("dependency-groups")
    if isinstance(dependency_groups, dict):
        for group, reqs in dependency_groups.items():
            key = rf"^\s*['\"]?{re.escape(group)}['\"]?\s*="
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
                from qualgate.gates.deps.model import Problem

                parsed.problems.append(
                    Problem(rule="parse-error", message=exc.message, path=relpath, line=line)
                )
    return parsed
