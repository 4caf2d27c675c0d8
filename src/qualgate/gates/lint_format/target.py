"""The Python version a project targets, for ruff when its config names none.

ruff reads ``target-version`` and ``[project] requires-python``; it does not read poetry's
``python = "^3.9"`` nor trove classifiers, and without a target it assumes its own default,
whose ``UP`` fixes (``X | None``) break a project that still supports Python 3.9. The gate
passes ``--target-version`` only when the project's ruff config has none of its own.
"""

from __future__ import annotations

import re

from .projectfiles import ProjectFiles, dig

# ruff's oldest target; older projects are judged as 3.7 code (the closest ruff knows).
OLDEST = (3, 7)
_VERSION = re.compile(r"(?P<op>\^|~=|~|>=|==|===|>)?\s*(?P<major>\d+)(?:\.(?P<minor>\d+|\*))?")
_CLASSIFIER = re.compile(r"^Programming Language :: Python :: (\d+)\.(\d+)$")


def lower_bound(spec: str) -> tuple[int, int] | None:
    """The oldest Python 3 a version constraint admits (``"^3.9"``, ``">=3.8,<4"``,
    ``"~3.10"``, ``"3.9.*"``, ``"3.11"``); None when it sets no lower bound."""
    best: tuple[int, int] | None = None
    for part in re.split(r"[,|]", spec):
        part = part.strip()
        if not part or part.startswith(("<", "!=")):
            continue
        match = _VERSION.match(part)
        if match is None or match.end() == 0:
            continue
        op = match["op"] or "=="
        if op == ">":
            continue  # ">3.8" admits 3.8.1: too rare to model; treated as no bound
        major = int(match["major"])
        minor_text = match["minor"]
        minor = int(minor_text) if minor_text and minor_text != "*" else 0
        if major != 3:
            continue
        found = (major, minor)
        best = found if best is None or found < best else best
    return best


def _classifiers(files: ProjectFiles) -> tuple[int, int] | None:
    versions = []
    for item in dig(files.pyproject(), "project", "classifiers") or ():
        match = _CLASSIFIER.match(str(item).strip())
        if match and match.group(1) == "3":
            versions.append((3, int(match.group(2))))
    return min(versions) if versions else None


def ruff_has_target(files: ProjectFiles) -> bool:
    """Whether the project's ruff config (or the one it extends) names a target."""
    for name in ("ruff.toml", ".ruff.toml"):
        data = files.toml(name)
        if files.exists(name):
            return "target-version" in data or _extended_has_target(files, data)
    section = files.tool("ruff") or {}
    return "target-version" in section or _extended_has_target(files, section)


def _extended_has_target(files: ProjectFiles, section: dict[str, object]) -> bool:
    extend = section.get("extend")
    if not isinstance(extend, str):
        return False
    data = files.toml(extend)
    if not data and extend.endswith("pyproject.toml"):
        return False
    target = dig(data, "tool", "ruff", "target-version") or data.get("target-version")
    # An extended file we cannot read (outside the project): assume it sets one.
    return target is not None or not files.exists(extend)


def infer(files: ProjectFiles) -> tuple[str, str] | None:
    """``("py39", "poetry's python = \"^3.9\"")``: the target and where it came from."""
    data = files.pyproject()
    sources: list[tuple[str, str]] = []
    requires = dig(data, "project", "requires-python")
    if isinstance(requires, str):
        sources.append((requires, f'requires-python = "{requires}"'))
    poetry = dig(data, "tool", "poetry", "dependencies", "python")
    if isinstance(poetry, str):
        sources.append((poetry, f'poetry\'s python = "{poetry}"'))
    for spec, where in sources:
        bound = lower_bound(spec)
        if bound is not None:
            return _ruff_name(bound), where
    classified = _classifiers(files)
    if classified is not None:
        return _ruff_name(classified), "the oldest Python classifier"
    return None


def _ruff_name(version: tuple[int, int]) -> str:
    major, minor = max(version, OLDEST)
    return f"py{major}{minor}"
