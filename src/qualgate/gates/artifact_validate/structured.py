"""Structured files (YAML, JSON, TOML) against JSON Schemas, located by line.

Each ``schemas`` entry pairs a glob (relative to the project root) with a schema file;
every matching file is parsed by its extension and validated. Parse errors point at the
line the parser names; schema errors at the offending key. qualgate's own verdict files
are validated against the verdict schema the same way.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate.gates.artifact_validate.locate import (
    Position,
    Positions,
    bad_scalar,
    json_positions,
    toml_error_position,
    toml_positions,
    yaml_positions,
)
from qualgate.gates.artifact_validate.rules import RULES
from qualgate.gates.artifact_validate.schemas import Schema, jsonable
from qualgate.policy import SKIP_DIRS
from qualgate.verdict import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
TOML_SUFFIXES = (".toml",)
SUPPORTED = YAML_SUFFIXES + JSON_SUFFIXES + TOML_SUFFIXES


def validate_schemas_option(value: Any) -> list[dict[str, str]]:
    """Check the ``schemas`` option: a list of ``{glob, schema}`` tables."""
    example = 'e.g. [{glob = "config/*.yaml", schema = "config/settings.schema.json"}]'
    if not isinstance(value, list):
        raise ValueError(f"expects a list of {{glob, schema}} tables, {example}")
    out: list[dict[str, str]] = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item) != {"glob", "schema"}:
            raise ValueError(
                f"schemas[{index}]: expects exactly the keys glob and schema, {example}"
            )
        if not all(isinstance(item[k], str) and item[k] for k in ("glob", "schema")):
            raise ValueError(f"schemas[{index}]: glob and schema must be non-empty strings")
        out.append({"glob": item["glob"], "schema": item["schema"]})
    return out


# ---------------------------------------------------------------------------
# Globs


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A ``/``-path glob as a regex: ``*`` and ``?`` stay in one folder, ``**/`` spans any."""
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out) + r"\Z")


def expand_glob(root: Path, pattern: str) -> list[Path]:
    """Files under ``root`` matching ``pattern`` (sorted), skipping virtualenvs and VCS folders."""
    pattern = pattern.strip().lstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    regex = glob_regex(pattern)
    # Walk only below the pattern's literal leading folders.
    parts = pattern.split("/")
    fixed: list[str] = []
    for part in parts[:-1]:
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    start = root.joinpath(*fixed)
    named = set(parts)
    found = []
    for folder, dirs, files in os.walk(start):
        # The shared skip-list (.qualgate, environments, builds...) unless the glob names it.
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS or d in named)
        rel_folder = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if rel_folder == "." else rel_folder + "/"
        for name in files:
            if regex.match(prefix + name):
                found.append(Path(folder) / name)
    return sorted(found)


# ---------------------------------------------------------------------------
# Checking one file


@dataclass(kw_only=True, slots=True)
class FileReport:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0


def _finding(
    rule: str, message: str, rel: str, line: int, column: int | None, check: str, **data: Any
) -> Finding:
    return RULES.finding(rule, message, path=rel, line=line, column=column, check=check, data=data)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Parsed:
    documents: list[Any]
    positions: Callable[[int], Positions]


class _ParseError(Exception):
    def __init__(self, message: str, at: Position) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


def parse_text(text: str, suffix: str) -> _Parsed:
    """Parse YAML (every document of a stream), JSON or TOML; raises `_ParseError`."""
    if suffix in JSON_SUFFIXES:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _ParseError(
                f"invalid JSON: {exc.msg}", Position(line=exc.lineno, column=exc.colno)
            ) from None
        return _Parsed(documents=[data], positions=lambda _i: json_positions(text))
    if suffix in TOML_SUFFIXES:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = re.sub(r"\s*\(at line \d+, column \d+\)$", "", str(exc))
            raise _ParseError(f"invalid TOML: {message}", toml_error_position(exc)) from None
        # TOML dates and times become their ISO strings, as JSON Schema sees them.
        return _Parsed(documents=[jsonable(data)], positions=lambda _i: toml_positions(text))
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        documents = list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at = Position(line=mark.line + 1, column=mark.column + 1) if mark else Position(line=1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _ParseError(f"invalid YAML: {problem}", at) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # The constructor's own faults (a date like 2024-02-30, an unhashable key).
        found = bad_scalar(text)
        at, why = found if found else (Position(line=1), str(exc))
        raise _ParseError(f"invalid YAML value: {why}", at) from None

    def positions(index: int) -> Positions:
        nodes = list(yaml.compose_all(text, Loader=loader))
        return yaml_positions(nodes[index] if index < len(nodes) else None)

    return _Parsed(documents=[jsonable(d) for d in documents], positions=positions)


def check_file(
    path: Path,
    rel: str,
    schema: Schema,
    *,
    check: str,
    schema_label: str,
    syntax_rule: str = "file-syntax",
    schema_rule: str = "file-schema",
    text: str | None = None,
) -> list[Finding]:
    """Parse ``path`` by its extension and validate every document against ``schema``."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        return [
            _finding(
                "file-type",
                f"cannot validate {path.suffix or 'extensionless'} files "
                "(YAML, JSON and TOML are supported)",
                rel,
                1,
                None,
                check,
            )
        ]
    if text is None:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            return [_finding("unreadable", f"not UTF-8 text: {exc.reason}", rel, line, None, check)]
        except OSError as exc:
            return [_finding("unreadable", f"cannot read: {exc.strerror}", rel, 1, None, check)]
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        parsed = parse_text(text, suffix)
    except _ParseError as exc:
        return [_finding(syntax_rule, exc.message, rel, exc.at.line, exc.at.column, check)]
    findings = []
    for index, document in enumerate(parsed.documents):
        found = schema.problems(document)
        if not found:
            continue
        positions = parsed.positions(index)
        for problem in found:
            at = positions.find(problem.path, problem.key)
            where = "/".join(str(p) for p in problem.path)
            if problem.key is not None:
                where = f"{where}/{problem.key}" if where else problem.key
            shown = f"{where}: " if where else ""
            findings.append(
                _finding(
                    schema_rule,
                    f"{shown}{problem.message}",
                    rel,
                    at.line,
                    at.column,
                    check,
                    pointer="/" + "/".join(str(p) for p in problem.path),
                    keyword=problem.keyword,
                    schema=schema_label,
                    **({"document": index} if len(parsed.documents) > 1 else {}),
                )
            )
    return findings


def no_match(glob: str, what: str, check: str) -> Finding:
    return RULES.finding(
        "glob-no-match", f"{what} glob {glob!r} matches no file", check=check, data={"glob": glob}
    )


def iter_matches(root: Path, globs: Sequence[str]) -> Iterator[tuple[str, list[Path]]]:
    for pattern in globs:
        yield pattern, expand_glob(root, pattern)
