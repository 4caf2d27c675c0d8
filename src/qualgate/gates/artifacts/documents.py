"""The checks on Markdown artifacts: front matter, schema, headings, links, unique ids.

Every finding carries the exact line: YAML errors are offset by the opening ``---`` line,
schema errors point at the offending key (found through the YAML node marks, composed
only for files that have an error), a missing required key points at the front matter's
first line, links point at their ``[``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from qualgate.gates.artifacts import markdown
from qualgate.gates.artifacts.locate import Position, Positions, yaml_positions
from qualgate.gates.artifacts.schemas import jsonable, needs_conversion, problems
from qualgate.gates.artifacts.types import TypeSet
from qualgate.verdict import Finding, Severity

CHECK = "markdown"
MARKDOWN_SUFFIXES = (".md", ".markdown")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

HELP = {
    "front-matter-missing": "start the file with a YAML front matter block between --- lines",
    "front-matter-unclosed": "close the front matter with a --- line",
    "front-matter-syntax": "fix the YAML syntax of the front matter",
    "front-matter-not-mapping": "the front matter must be a YAML mapping (key: value lines)",
    "front-matter-schema": "make the front matter match its type's schema (qualgate "
    "artifact-validate --list-types)",
    "unknown-type": "use a type listed by --list-types or add it under `types` in the config",
    "untyped-artifact": "add `type:` to the front matter or move the file into a type's folder",
    "missing-heading": "add the heading (any level; matched case-insensitively)",
    "broken-link": "point the link at an existing file (paths are relative to this file)",
    "broken-anchor": "point the #anchor at a heading of the target (GitHub-style slug)",
    "link-escapes-root": "link only to files inside the project",
    "duplicate-id": "give each artifact its own id",
    "unreadable": "save the file as UTF-8",
}


@dataclass(kw_only=True, slots=True)
class MarkdownReport:
    """What checking the Markdown artifacts found."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass(kw_only=True, slots=True)
class _Parsed:
    path: Path
    rel: str
    doc: markdown.Document
    front_id: str | None = None


def _finding(
    rule: str, message: str, rel: str, line: int, column: int | None = None, **data: Any
) -> Finding:
    return Finding(
        rule=rule,
        severity=Severity.ERROR,
        message=message,
        path=rel,
        line=line,
        column=column,
        check=CHECK,
        help=HELP[rule],
        data=data,
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


def check_artifacts(
    files: Iterable[Path],
    *,
    root: Path,
    artifacts_dir: Path,
    types: TypeSet,
    relpath: Callable[[Path], str],
) -> MarkdownReport:
    """Run every Markdown rule on ``files`` (absolute paths under ``artifacts_dir``)."""
    report = MarkdownReport()
    parsed: dict[Path, _Parsed] = {}
    ids: dict[str, list[_Parsed]] = {}
    loader = _loader()
    yaml = _yaml()
    for path in files:
        report.files += 1
        rel = relpath(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            report.findings.append(
                _finding("unreadable", f"not UTF-8 text: {exc.reason}", rel, line)
            )
            continue
        except OSError as exc:
            report.findings.append(_finding("unreadable", f"cannot read: {exc.strerror}", rel, 1))
            continue
        doc = markdown.parse(text)
        item = _Parsed(path=path, rel=rel, doc=doc)
        parsed[path] = item
        data = _front_matter(doc, rel, report, yaml, loader)
        type_name = _type_of(data, doc, path, artifacts_dir, types, rel, report)
        if type_name is not None:
            report.by_type[type_name] = report.by_type.get(type_name, 0) + 1
            if isinstance(data, dict):
                _validate(data, doc, type_name, types, rel, report)
            _check_headings(doc, types.types[type_name].headings, type_name, rel, report)
        if isinstance(data, dict) and "id" in data and data["id"] is not None:
            item.front_id = str(data["id"])
            ids.setdefault(item.front_id, []).append(item)
    _check_links(parsed, root, report)
    _check_duplicate_ids(ids, report)
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
    try:
        data = yaml.load(doc.front_text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        column = mark.column + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report.findings.append(
            _finding(
                "front-matter-syntax", f"invalid YAML in front matter: {problem}", rel, line, column
            )
        )
        return None
    if data is None:
        return {}
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
    path: Path,
    artifacts_dir: Path,
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
    found = artifact_type_by_folder(path.relative_to(artifacts_dir).parts, types)
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
    instance = jsonable(data) if needs_conversion(data) else data
    found = problems(types.validator(type_name), instance)
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


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_links(parsed: dict[Path, _Parsed], root: Path, report: MarkdownReport) -> None:
    root_text = os.path.normpath(str(root))
    real_root = os.path.realpath(root_text)
    exists: dict[str, bool] = {}
    anchors: dict[str, frozenset[str] | None] = {
        str(p): item.doc.anchors for p, item in parsed.items()
    }
    for item in parsed.values():
        for link in item.doc.links:
            problem = _link_problem(link, item, root_text, real_root, exists, anchors)
            if problem is not None:
                rule, message = problem
                kind = "image" if link.image else "link"
                report.findings.append(
                    _finding(
                        rule,
                        f"{kind} {link.target!r}: {message}",
                        item.rel,
                        link.line,
                        link.column,
                        target=link.target,
                    )
                )


def _link_problem(
    link: markdown.Link,
    item: _Parsed,
    root: str,
    real_root: str,
    exists: dict[str, bool],
    anchors: dict[str, frozenset[str] | None],
) -> tuple[str, str] | None:
    target = link.target
    if target.startswith("<") and target.endswith(">"):
        target = target[1:-1].strip()
    if _SCHEME.match(target) or target.startswith("//"):
        return None  # external links are not fetched
    if not target:
        return "broken-link", "empty link target"
    path_part, _, fragment = target.partition("#")
    path_part = unquote(path_part.split("?", 1)[0])
    fragment = unquote(fragment)
    if not path_part:
        if fragment and fragment.lower() not in item.doc.anchors:
            return "broken-anchor", f"no heading with anchor #{fragment} in this file"
        return None
    if path_part.startswith("/"):
        candidate = os.path.normpath(os.path.join(root, path_part.lstrip("/")))
    else:
        candidate = os.path.normpath(os.path.join(os.path.dirname(str(item.path)), path_part))
    if not _within(candidate, root):
        return "link-escapes-root", "points outside the project root"
    present = exists.get(candidate)
    if present is None:
        present = os.path.exists(candidate)
        exists[candidate] = present
    if not present:
        return "broken-link", "no such file"
    if not _within(os.path.realpath(candidate), real_root):
        return "link-escapes-root", "resolves (through a symlink) outside the project root"
    if fragment and candidate.lower().endswith(MARKDOWN_SUFFIXES):
        target_anchors = _anchors_of(candidate, anchors)
        if target_anchors is not None and fragment.lower() not in target_anchors:
            shown = os.path.basename(candidate)
            return "broken-anchor", f"no heading with anchor #{fragment} in {shown}"
    return None


def _anchors_of(path: str, cache: dict[str, frozenset[str] | None]) -> frozenset[str] | None:
    if path not in cache:
        try:
            with open(path, encoding="utf-8") as handle:
                cache[path] = markdown.parse(handle.read()).anchors
        except (OSError, UnicodeDecodeError):
            cache[path] = None  # a directory or an unreadable file: existence is all we check
    return cache[path]


def _check_duplicate_ids(ids: dict[str, list[_Parsed]], report: MarkdownReport) -> None:
    for value, items in ids.items():
        if len(items) < 2:
            continue
        lines = {i.rel: _front_positions(i.doc.front_text).find(("id",)).line for i in items}
        for item in items:
            others = ", ".join(f"{o.rel}:{lines[o.rel]}" for o in items if o is not item)
            report.findings.append(
                _finding(
                    "duplicate-id",
                    f"id {value!r} is also used by {others}",
                    item.rel,
                    lines[item.rel],
                    id=value,
                    others=[o.rel for o in items if o is not item],
                )
            )
