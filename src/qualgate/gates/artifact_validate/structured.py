"""Structured files (YAML, JSON, TOML) against JSON Schemas, located by line.

Each ``schemas`` entry pairs a glob (relative to the project root) with a schema file;
every matching file is parsed by its extension and validated. Parse errors point at the
line the parser names; schema errors at the offending key. qualgate's own verdict files
are validated against the verdict schema the same way.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate.fsutil import MAX_READ_BYTES as MAX_FILE_BYTES
from qualgate.fsutil import ReadRefused, read_bytes_bounded
from qualgate.gates.artifact_validate.locate import (
    Lines,
    Position,
    Positions,
    bad_scalar,
    json_positions,
    toml_error_position,
    toml_positions,
    yaml_positions,
)
from qualgate.gates.artifact_validate.rules import RULES, shorten
from qualgate.gates.artifact_validate.schemas import Schema, jsonable
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
        if any("\x00" in item[k] for k in ("glob", "schema")):
            raise ValueError(f"schemas[{index}]: a path may not hold a NUL byte")
        out.append({"glob": item["glob"], "schema": item["schema"]})
    return out


# ---------------------------------------------------------------------------
# Checking one file


@dataclass(kw_only=True, slots=True)
class FileReport:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0


def _finding(
    rule: str, message: str, rel: str, line: int, column: int | None, check: str, **data: Any
) -> Finding:
    return RULES.finding(
        rule, shorten(message), path=rel, line=line, column=column, check=check, data=data
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class _Parsed:
    documents: list[Any]
    positions: Callable[[int], Positions]


class _ParseError(Exception):
    def __init__(self, message: str, at: Position) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


# Deeper than any configuration file; deeper documents are a syntax finding, not a crash
# of the recursive steps that follow parsing (positions, JSON Schema validation).
MAX_DEPTH = 200
# More digits than Python turns into an int (sys.get_int_max_str_digits' default).
_HUGE_INT = re.compile(r"(?<![0-9])[0-9]{4301,}")
_BRACKET = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')


def _structure_problem(text: str, kind: str) -> _ParseError | None:
    """Nesting past `MAX_DEPTH` or a number too long to convert, located (else None)."""
    lines = Lines(text)
    depth = 0
    for match in _BRACKET.finditer(text):
        part = match.group(0)
        if part in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _ParseError(
                    f"invalid {kind}: nested more than {MAX_DEPTH} deep",
                    lines.position(match.start()),
                )
        elif part in "]}":
            depth -= 1
    huge = _HUGE_INT.search(text)
    if huge is not None:
        return _ParseError(
            f"invalid {kind}: a number of {len(huge.group(0))} digits",
            lines.position(huge.start()),
        )
    return None


def _depth(value: Any) -> int:
    """How deep ``value`` nests (iteratively: it may be deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((child, level + 1) for child in item if isinstance(child, (dict, list)))
    return deepest


def parse_text(text: str, suffix: str) -> _Parsed:
    """Parse YAML (every document of a stream), JSON or TOML; raises `_ParseError`."""
    if suffix in JSON_SUFFIXES:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _ParseError(
                f"invalid JSON: {exc.msg}", Position(line=exc.lineno, column=exc.colno)
            ) from None
        except (ValueError, RecursionError):  # a 5,000-digit number, 100,000 nested arrays
            raise _structure_problem(text, "JSON") or _ParseError(
                "invalid JSON: cannot be read", Position(line=1)
            ) from None
        if _depth(data) > MAX_DEPTH:
            raise _structure_problem(text, "JSON") or _ParseError(
                f"invalid JSON: nested more than {MAX_DEPTH} deep", Position(line=1)
            )
        return _Parsed(documents=[data], positions=lambda _i: json_positions(text))
    if suffix in TOML_SUFFIXES:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = re.sub(r"\s*\(at line \d+, column \d+\)$", "", str(exc))
            raise _ParseError(f"invalid TOML: {message}", toml_error_position(exc)) from None
        except (ValueError, RecursionError):
            raise _structure_problem(text, "TOML") or _ParseError(
                "invalid TOML: cannot be read", Position(line=1)
            ) from None
        if _depth(data) > MAX_DEPTH:
            raise _structure_problem(text, "TOML") or _ParseError(
                f"invalid TOML: nested more than {MAX_DEPTH} deep", Position(line=1)
            )
        # TOML dates and times become their ISO strings, as JSON Schema sees them.
        return _Parsed(documents=[jsonable(data)], positions=lambda _i: toml_positions(text))
    import yaml

    from qualgate.yamlsafe import safe_load_all

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        # Bounded: an alias bomb or a document nested past the limit is a syntax finding.
        documents = safe_load_all(text, max_depth=MAX_DEPTH)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at = Position(line=mark.line + 1, column=mark.column + 1) if mark else Position(line=1)
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: its offset
            at = Lines(text).position(exc.position)
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
            text = read_bytes_bounded(path, MAX_FILE_BYTES).decode("utf-8")
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            return [_finding("unreadable", f"not UTF-8 text: {exc.reason}", rel, line, None, check)]
        except ReadRefused as exc:  # a device, FIFO or huge file: never read without end
            why = "not a regular file" if "regular" in str(exc) else "larger than 64 MiB"
            return [_finding("unreadable", f"not read: {why}", rel, 1, None, check)]
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
        try:
            found = schema.problems(document)
        except RecursionError:
            return [_finding(syntax_rule, "too deeply nested to validate", rel, 1, None, check)]
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


def escaping(rel: str, check: str) -> Finding:
    """A matched file (or the folder a glob starts in) that a link leads out of the root."""
    return RULES.finding(
        "path-escapes-root",
        "leads outside the project root through a symbolic link: not read",
        path=rel or None,
        check=check,
    )


def climbing(glob: str, what: str, check: str) -> Finding:
    """A glob that names a place outside the root: not searched."""
    return RULES.finding(
        "path-escapes-root",
        f"{what} glob {glob!r} leaves the project root: globs are relative to the root and "
        "stay inside it; not searched",
        check=check,
        data={"glob": glob},
    )
