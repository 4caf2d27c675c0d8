"""The checks on Markdown artifacts: front matter, schema, headings, links, unique ids.

Every finding carries the exact line: YAML errors are offset by the opening ``---`` line,
schema errors point at the offending key (found through the YAML node marks, composed
only for files that have an error), a missing required key points at the front matter's
first line, links point at their ``[``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate.errors import GateError
from qualgate.fsutil import ReadRefused, read_bytes_bounded
from qualgate.gates.artifact_validate import markdown
from qualgate.gates.artifact_validate.fastyaml import simple_yaml
from qualgate.gates.artifact_validate.links import link_problems
from qualgate.gates.artifact_validate.locate import Position, Positions, bad_scalar, yaml_positions
from qualgate.gates.artifact_validate.rules import RULES, shorten
from qualgate.gates.artifact_validate.schemas import jsonable, needs_conversion
from qualgate.gates.artifact_validate.types import TypeSet
from qualgate.verdict import Finding
from qualgate.yamlsafe import safe_load

CHECK = "markdown"
# The largest artifact read; a larger one (or a device) is an `unreadable` finding.
MAX_ARTIFACT_BYTES = 16 * 1024 * 1024
# Front matter nests a few levels; deeper is refused before anything recurses into it.
MAX_FRONT_MATTER_DEPTH = 100


@dataclass(kw_only=True, slots=True)
class MarkdownReport:
    """What checking the Markdown artifacts found."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    # (id, path, front matter text) of every artifact with an id, for the duplicate check.
    ids: list[tuple[str, str, str]] = field(default_factory=list)
    # Link targets looked up on disk (found or not): the answer depends on them.
    consulted: set[str] = field(default_factory=set)

    def merge(self, other: MarkdownReport) -> None:
        self.consulted |= other.consulted
        self.findings.extend(other.findings)
        self.files += other.files
        for name, count in other.by_type.items():
            self.by_type[name] = self.by_type.get(name, 0) + count
        self.ids.extend(other.ids)


@dataclass(kw_only=True, slots=True)
class _Parsed:
    path: str
    rel: str
    doc: markdown.Document


def _finding(
    rule: str, message: str, rel: str, line: int, column: int | None = None, **data: Any
) -> Finding:
    data = {k: shorten(v, 300) if isinstance(v, str) else v for k, v in data.items()}
    return RULES.finding(
        rule, shorten(message), path=rel, line=line, column=column, check=CHECK, data=data
    )


def _yaml() -> Any:
    import yaml

    return yaml


def _loader() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _front_positions(front_text: str) -> Positions:
    yaml = _yaml()
    node = yaml.compose(front_text, Loader=_loader())
    positions = yaml_positions(node, line_offset=1)
    # A key missing at the top level is reported at the front matter's first line (`---`).
    positions.root = Position(line=1)
    return positions


def artifact_type_by_folder(rel_parts: tuple[str, ...], types: TypeSet) -> str | None:
    """The type named by the nearest folder (inside the artifacts dir) holding the file."""
    for part in reversed(rel_parts[:-1]):
        found = types.by_folder.get(part.lower())
        if found:
            return found
    return None


def check_files(
    files: Iterable[str],
    *,
    root: Path,
    artifacts_dir: Path,
    types: TypeSet,
    relpath: Callable[[str], str],
    deadline: float | None = None,
) -> MarkdownReport:
    """Run every per-file Markdown rule on ``files`` (absolute paths under ``artifacts_dir``).

    Links into files outside ``files`` are resolved from disk, so a batch of files can
    be checked on its own; duplicate ids across batches are `duplicate_ids`' job.
    Past ``deadline`` (a ``time.monotonic()`` value) it stops with a `GateError`.
    """
    report = MarkdownReport()
    parsed: dict[str, _Parsed] = {}
    root_prefix = os.path.normpath(str(root)) + os.sep
    artifacts_prefix = os.path.normpath(str(artifacts_dir)) + os.sep
    loader = _loader()
    yaml = _yaml()
    for path in files:
        report.files += 1
        if deadline is not None and report.files % 256 == 0 and time.monotonic() > deadline:
            raise GateError(
                f"timed out after checking {report.files} Markdown files",
                "raise --timeout, or narrow artifacts-dir / exclude",
            )
        # Plain string slicing: pathlib costs more than the checks on 10,000 files.
        rel = path[len(root_prefix) :] if path.startswith(root_prefix) else relpath(path)
        if os.sep != "/":  # pragma: no cover - Windows
            rel = rel.replace(os.sep, "/")
        try:
            # Regular files only, bounded: a `.md` linked to /dev/zero is never read.
            text = read_bytes_bounded(path, MAX_ARTIFACT_BYTES).decode("utf-8")
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            report.findings.append(
                _finding("unreadable", f"not UTF-8 text: {exc.reason}", rel, line)
            )
            continue
        except ReadRefused as exc:
            why = "not a regular file" if "regular" in str(exc) else "larger than 16 MiB"
            report.findings.append(_finding("unreadable", f"not read: {why}", rel, 1))
            continue
        except OSError as exc:
            report.findings.append(_finding("unreadable", f"cannot read: {exc.strerror}", rel, 1))
            continue
        doc = markdown.parse(text)
        item = _Parsed(path=path, rel=rel, doc=doc)
        parsed[path] = item
        data = _front_matter(doc, rel, report, yaml, loader)
        inside = path[len(artifacts_prefix) :] if path.startswith(artifacts_prefix) else path
        type_name = _type_of(data, doc, inside, types, rel, report)
        if type_name is not None:
            report.by_type[type_name] = report.by_type.get(type_name, 0) + 1
            if isinstance(data, dict):
                _validate(data, doc, type_name, types, rel, report)
            _check_headings(doc, types.types[type_name].headings, type_name, rel, report)
        if isinstance(data, dict) and data.get("id") is not None:
            report.ids.append((str(data["id"]), rel, doc.front_text))
    _check_links(parsed, root, report)
    return report


def _front_matter(
    doc: markdown.Document, rel: str, report: MarkdownReport, yaml: Any, loader: Any
) -> Any:
    state = doc.front_state
    if state is markdown.FrontMatterState.MISSING:
        report.findings.append(
            _finding(
                "front-matter-missing",
                "no YAML front matter (the file must start with ---)",
                rel,
                1,
            )
        )
        return None
    if state is markdown.FrontMatterState.UNCLOSED:
        report.findings.append(
            _finding(
                "front-matter-unclosed", "the front matter opened on line 1 is never closed", rel, 1
            )
        )
        return None
    simple = simple_yaml(doc.front_text)
    if simple is not None:
        return simple  # already as JSON sees it (dates as strings)
    try:
        # Bounded: an alias bomb or a document nested too deep is a syntax finding.
        data = safe_load(doc.front_text, max_depth=MAX_FRONT_MATTER_DEPTH)
    except (ValueError, TypeError, OverflowError) as exc:
        # The constructor's own faults (a date like 2024-02-30, an unhashable key).
        found = bad_scalar(doc.front_text, line_offset=1)
        at, why = found if found else (Position(line=2), str(exc))
        report.findings.append(
            _finding(
                "front-matter-syntax", f"invalid YAML value in front matter: {why}", rel, at.line
            )
        )
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        column = mark.column + 1 if mark is not None else None
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: its offset
            line = doc.front_text.count("\n", 0, exc.position) + 2
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report.findings.append(
            _finding(
                "front-matter-syntax", f"invalid YAML in front matter: {problem}", rel, line, column
            )
        )
        return None
    if data is None:
        return {}
    if needs_conversion(data):
        data = jsonable(data)
    if not isinstance(data, dict):
        report.findings.append(
            _finding(
                "front-matter-not-mapping",
                f"the front matter is a {type(data).__name__}, not a mapping of keys",
                rel,
                2,
            )
        )
        return None
    return data


def _type_of(
    data: Any,
    doc: markdown.Document,
    inside: str,
    types: TypeSet,
    rel: str,
    report: MarkdownReport,
) -> str | None:
    declared = data.get("type") if isinstance(data, dict) else None
    if declared is not None:
        if isinstance(declared, str) and declared in types.types:
            return declared
        line = _front_positions(doc.front_text).find(("type",)).line
        known = ", ".join(sorted(types.types))
        report.findings.append(
            _finding(
                "unknown-type", f"unknown artifact type {declared!r} (known: {known})", rel, line
            )
        )
        return None
    found = artifact_type_by_folder(tuple(inside.split(os.sep)), types)
    if found is None and data is not None:
        folders = ", ".join(sorted(types.by_folder))
        report.findings.append(
            _finding(
                "untyped-artifact",
                f"no `type:` in the front matter and the file is in no type folder ({folders})",
                rel,
                1,
            )
        )
    return found


def _validate(
    data: dict[str, Any],
    doc: markdown.Document,
    type_name: str,
    types: TypeSet,
    rel: str,
    report: MarkdownReport,
) -> None:
    try:
        found = types.validator(type_name).problems(data)
    except RecursionError:
        report.findings.append(
            _finding("front-matter-schema", f"{type_name} schema nests too deeply to use", rel, 1)
        )
        return
    if not found:
        return
    positions = _front_positions(doc.front_text)
    for problem in found:
        at = positions.find(problem.path, problem.key)
        where = "/".join(str(p) for p in problem.path)
        if problem.key is not None:
            where = f"{where}/{problem.key}" if where else problem.key
        prefix = f"{where}: " if where else ""
        report.findings.append(
            _finding(
                "front-matter-schema",
                f"{type_name} front matter: {prefix}{problem.message}",
                rel,
                at.line,
                at.column if at.line > 1 else None,
                pointer="/" + "/".join(str(p) for p in problem.path),
                keyword=problem.keyword,
                type=type_name,
            )
        )


def _check_headings(
    doc: markdown.Document,
    required: tuple[str, ...],
    type_name: str,
    rel: str,
    report: MarkdownReport,
) -> None:
    if not required:
        return
    present = {markdown.normalise_heading(h.text) for h in doc.headings}
    for heading in required:
        if markdown.normalise_heading(heading) not in present:
            report.findings.append(
                _finding(
                    "missing-heading",
                    f"{type_name} is missing the required heading {heading!r}",
                    rel,
                    1,
                    heading=heading,
                )
            )


def _check_links(parsed: dict[str, _Parsed], root: Path, report: MarkdownReport) -> None:
    docs = {path: item.doc for path, item in parsed.items()}
    for path, link, rule, message in link_problems(docs, root, report.consulted):
        kind = "image" if link.image else "link"
        report.findings.append(
            _finding(
                rule,
                f"{kind} {link.target!r}: {message}",
                parsed[path].rel,
                link.line,
                link.column,
                target=link.target,
            )
        )


def duplicate_ids(ids: Iterable[tuple[str, str, str]]) -> list[Finding]:
    """One finding per artifact whose id another artifact also uses (each names the others)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for value, rel, front_text in ids:
        groups.setdefault(value, []).append((rel, front_text))
    findings = []
    for value, items in groups.items():
        if len(items) < 2:
            continue
        lines = {rel: _front_positions(text).find(("id",)).line for rel, text in items}
        for rel, _text in items:
            others = [o for o, _t in items if o != rel]
            shown = ", ".join(f"{o}:{lines[o]}" for o in others)
            findings.append(
                _finding(
                    "duplicate-id",
                    f"id {value!r} is also used by {shown}",
                    rel,
                    lines[rel],
                    id=value,
                    others=others,
                )
            )
    return findings
