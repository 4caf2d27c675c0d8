"""Rules about the document as a whole: servers, tags, info, components, markdown, refs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import escape, join
from qualgate.gates.openapi_lint.model import Spec

_VARIABLE = re.compile(r"\{([^{}]*)\}")
_SCRIPT = re.compile(r"<\s*script\b", re.IGNORECASE)
_EVAL = re.compile(r"\beval\s*\(", re.IGNORECASE)
_MARKDOWN_KEYS = ("description", "summary", "title")
# Lower-cased raw text that could hold either pattern (JSON may write '<' as \u003c).
_RAW_HINT = re.compile(r"<\s*script|\\u003c\s*script|eval\s*\(")
_LITERALS = frozenset(("example", "default", "enum", "const", "value"))


def _servers(spec: Spec) -> Iterator[tuple[str, Any]]:
    """(pointer, server list) at the top level, on path items and on operations."""
    yield "/servers", spec.data.get("servers")
    for path, item in (spec.data.get("paths") or {}).items():
        if isinstance(item, dict) and "servers" in item:
            yield join("/paths", path, "servers"), item["servers"]
    for op in spec.operations():
        if "servers" in op.op:
            yield join(op.pointer, "servers"), op.op["servers"]


def servers_defined(spec: Spec) -> Iterator[Issue]:
    servers = spec.data.get("servers")
    if not isinstance(servers, list) or not servers:
        yield Issue(
            rule="servers-defined",
            message="no servers are defined",
            doc=spec.doc,
            pointer="/servers" if "servers" in spec.data else "",
        )


def server_trailing_slash(spec: Spec) -> Iterator[Issue]:
    for pointer, servers in _servers(spec):
        for index, server in enumerate(servers if isinstance(servers, list) else []):
            url = server.get("url") if isinstance(server, dict) else None
            if isinstance(url, str) and url.endswith("/") and url != "/":
                yield Issue(
                    rule="server-trailing-slash",
                    message=f"server URL {url!r} ends with a slash",
                    doc=spec.doc,
                    pointer=f"{pointer}/{index}/url",
                )


def server_variables(spec: Spec) -> Iterator[Issue]:
    for pointer, servers in _servers(spec):
        for index, server in enumerate(servers if isinstance(servers, list) else []):
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            here = f"{pointer}/{index}"
            used = _VARIABLE.findall(server["url"])
            raw = server.get("variables")
            variables: dict[str, Any] = raw if isinstance(raw, dict) else {}
            for name in used:
                if name not in variables:
                    yield Issue(
                        rule="server-variables-defined",
                        message=f"server variable {{{name}}} is not defined",
                        doc=spec.doc,
                        pointer=f"{here}/url",
                    )
            for name, variable in variables.items():
                at = f"{here}/variables/{escape(name)}"
                if name not in used:
                    yield Issue(
                        rule="server-variables-defined",
                        message=f"server variable {name!r} is defined but not used in the URL",
                        doc=spec.doc,
                        pointer=at,
                    )
                if not isinstance(variable, dict):
                    continue
                enum = variable.get("enum")
                if (
                    isinstance(enum, list)
                    and "default" in variable
                    and variable["default"] not in enum
                ):
                    yield Issue(
                        rule="server-variables-defined",
                        message=f"default {variable['default']!r} of server variable {name!r} "
                        "is not in its enum",
                        doc=spec.doc,
                        pointer=f"{at}/default",
                    )


def tag_duplicate(spec: Spec) -> Iterator[Issue]:
    seen: set[Any] = set()
    tags = spec.data.get("tags")
    for index, tag in enumerate(tags if isinstance(tags, list) else []):
        name = tag.get("name") if isinstance(tag, dict) else None
        if name in seen:
            yield Issue(
                rule="tag-duplicate",
                message=f"tag {name!r} is declared twice",
                doc=spec.doc,
                pointer=f"/tags/{index}",
            )
        seen.add(name)


def info_description(spec: Spec) -> Iterator[Issue]:
    info = spec.data.get("info")
    if isinstance(info, dict) and not (
        isinstance(info.get("description"), str) and info["description"].strip()
    ):
        yield Issue(
            rule="info-description",
            message="info has no description",
            doc=spec.doc,
            pointer="/info",
        )


def info_contact(spec: Spec) -> Iterator[Issue]:
    info = spec.data.get("info")
    if isinstance(info, dict) and not isinstance(info.get("contact"), dict):
        yield Issue(
            rule="info-contact", message="info has no contact", doc=spec.doc, pointer="/info"
        )


def info_license(spec: Spec) -> Iterator[Issue]:
    info = spec.data.get("info")
    if isinstance(info, dict) and not isinstance(info.get("license"), dict):
        yield Issue(
            rule="info-license", message="info has no license", doc=spec.doc, pointer="/info"
        )


_COMPONENT_SECTIONS_V3 = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
    "pathItems",
)
_SECTIONS_V2 = ("definitions", "parameters", "responses")


def components_unused(spec: Spec) -> Iterator[Issue]:
    if spec.v2:
        sections = [(f"/{s}", spec.data.get(s)) for s in _SECTIONS_V2]
    else:
        components = spec.data.get("components")
        if not isinstance(components, dict):
            return
        sections = [(f"/components/{s}", components.get(s)) for s in _COMPONENT_SECTIONS_V3]
    used = _targets(spec)
    for base, section in sections:
        if not isinstance(section, dict):
            continue
        for name in section:
            pointer = f"{base}/{escape(name)}"
            if pointer not in used and not name.startswith("x-"):
                yield Issue(
                    rule="components-unused",
                    message=f"{pointer.lstrip('/')} is never referenced",
                    doc=spec.doc,
                    pointer=pointer,
                )


def _targets(spec: Spec) -> set[str]:
    """Component pointers of the root document that some ref points at."""
    return {
        _component_of(site.target.pointer)
        for site in spec.resolver.sites
        if site.target is not None and site.target.doc is spec.doc
    }


def _component_of(pointer: str) -> str:
    parts = pointer.split("/")
    depth = 3 if pointer.startswith("/components/") else 2
    return "/".join(parts[: depth + 1])


def _walk_text(spec: Spec, pattern: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    """(pointer, text) of Markdown fields matching ``pattern``.

    Skipped when the raw text has neither word (a substring test on 4 MB takes
    milliseconds; the case-insensitive regex over it takes 0.25 s).
    """
    lowered = spec.cache.get("lowered")
    if lowered is None:
        lowered = spec.cache["lowered"] = spec.doc.text.lower()
    if not _RAW_HINT.search(lowered):
        return
    for pointer, text in _texts(spec.doc.data, ""):
        if pattern.search(text):
            yield pointer, text


def _texts(data: Any, pointer: str) -> Iterator[tuple[str, str]]:
    stack: list[tuple[Any, str]] = [(data, pointer)]
    while stack:
        node, here = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                child = f"{here}/{escape(key)}"
                if isinstance(value, str):
                    if key in _MARKDOWN_KEYS:
                        yield child, value
                elif isinstance(value, (dict, list)) and key not in _LITERALS:
                    stack.append((value, child))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, (dict, list)):
                    stack.append((item, f"{here}/{index}"))


def markdown_no_script(spec: Spec) -> Iterator[Issue]:
    for pointer, _ in _walk_text(spec, _SCRIPT):
        yield Issue(
            rule="markdown-no-script",
            message="a <script> tag in Markdown text",
            doc=spec.doc,
            pointer=pointer,
        )


def markdown_no_eval(spec: Spec) -> Iterator[Issue]:
    for pointer, _ in _walk_text(spec, _EVAL):
        yield Issue(
            rule="markdown-no-eval",
            message="eval( in Markdown text",
            doc=spec.doc,
            pointer=pointer,
        )


def ref_siblings(spec: Spec) -> Iterator[Issue]:
    for site in spec.resolver.sites:
        extra = sorted(k for k in site.holder if k != "$ref" and not k.startswith("x-"))
        if extra:
            yield Issue(
                rule="ref-siblings",
                message=f"keys beside $ref are ignored: {', '.join(extra)}",
                doc=site.doc,
                pointer=join(site.pointer, extra[0]),
            )
