"""Rules about paths and operations: ids, parameters, responses, tags, security, docs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import join
from qualgate.gates.openapi_lint.model import Operation, Spec

_TEMPLATE = re.compile(r"\{([^{}]*)\}")
# RFC 3986 unreserved characters plus the sub-delims that need no escaping in a path.
_URL_SAFE = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@/]+$")


def _issue(spec: Spec, op: Operation, rule_id: str, message: str, *segments: str) -> Issue:
    return Issue(
        rule=rule_id,
        message=message,
        doc=op.doc,
        pointer=join(op.pointer, *segments),
        data={"path": op.path, "method": op.method},
    )


def _label(op: Operation) -> str:
    return f"{op.method.upper()} {op.path}"


def operation_id_present(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations():
        if not op.op.get("operationId"):
            yield _issue(spec, op, "operation-operationId", f"{_label(op)} has no operationId")


def operation_id_unique(spec: Spec) -> Iterator[Issue]:
    seen: dict[str, Operation] = {}
    for op in spec.operations():
        value = op.op.get("operationId")
        if not isinstance(value, str):
            continue
        if value in seen:
            first = seen[value]
            yield _issue(
                spec,
                op,
                "operation-operationId-unique",
                f"operationId {value!r} of {_label(op)} is already used by {_label(first)}",
                "operationId",
            )
        else:
            seen[value] = op


def operation_id_url_safe(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations():
        value = op.op.get("operationId")
        if isinstance(value, str) and value and not _URL_SAFE.match(value):
            yield _issue(
                spec,
                op,
                "operation-operationId-url-safe",
                f"operationId {value!r} contains characters that are not URL-safe",
                "operationId",
            )


def path_params(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations():
        templates = _TEMPLATE.findall(op.path)
        params = spec.parameters(op)
        declared = {p.value.get("name"): p for p in params if p.value.get("in") == "path"}
        for name in dict.fromkeys(templates):
            if name not in declared:
                yield _issue(
                    spec,
                    op,
                    "path-params",
                    f"{_label(op)}: path template {{{name}}} has no `in: path` parameter",
                )
        for name, node in declared.items():
            if name not in templates:
                yield Issue(
                    rule="path-params",
                    message=f"{_label(op)}: path parameter {name!r} is not in the path template",
                    doc=node.doc,
                    pointer=node.pointer,
                    data={"path": op.path, "method": op.method},
                )
            elif node.value.get("required") is not True:
                yield Issue(
                    rule="path-params",
                    message=f"{_label(op)}: path parameter {name!r} must be `required: true`",
                    doc=node.doc,
                    pointer=node.pointer,
                    data={"path": op.path, "method": op.method},
                )
        if len(templates) != len(set(templates)):
            yield _issue(spec, op, "path-params", f"{op.path} uses the same template name twice")


def parameter_duplicate(spec: Spec) -> Iterator[Issue]:
    lists: list[tuple[Any, str, Any]] = []
    for path, item in (spec.data.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        node = spec.deref(spec.doc, join("/paths", path), item)
        if not isinstance(node.value, dict):
            continue
        lists.append((node.doc, join(node.pointer, "parameters"), node.value.get("parameters")))
    for op in spec.operations():
        lists.append((op.doc, join(op.pointer, "parameters"), op.op.get("parameters")))
    for doc, pointer, raw in lists:
        if not isinstance(raw, list):
            continue
        seen: set[tuple[Any, Any]] = set()
        for index, item in enumerate(raw):
            node = spec.deref(doc, f"{pointer}/{index}", item)
            if not isinstance(node.value, dict):
                continue
            key = (node.value.get("name"), node.value.get("in"))
            if key in seen:
                yield Issue(
                    rule="parameter-duplicate",
                    message=f"parameter {key[0]!r} in {key[1]} is declared twice",
                    doc=doc,
                    pointer=f"{pointer}/{index}",
                )
            seen.add(key)


def _normalise(path: str) -> tuple[str, ...]:
    return tuple("{}" if _TEMPLATE.fullmatch(s) else s for s in path.strip("/").split("/"))


def path_identical(spec: Spec) -> Iterator[Issue]:
    seen: dict[tuple[str, ...], str] = {}
    for path in _path_keys(spec):
        key = _normalise(path.rstrip("/") or "/")
        if key in seen:
            yield Issue(
                rule="path-identical",
                message=f"{path} is identical to {seen[key]} (only template names differ)",
                doc=spec.doc,
                pointer=join("/paths", path),
            )
        else:
            seen[key] = path


def path_ambiguous(spec: Spec) -> Iterator[Issue]:
    paths = [(p, _normalise(p)) for p in _path_keys(spec)]
    by_length: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    for path, segs in paths:
        by_length.setdefault(len(segs), []).append((path, segs))
    for group in by_length.values():
        for i, (path_a, a) in enumerate(group):
            for path_b, b in group[:i]:
                if a == b:
                    continue
                a_wins = b_wins = False
                clash = False
                for x, y in zip(a, b, strict=True):
                    if x == y:
                        continue
                    if x == "{}":
                        b_wins = True
                    elif y == "{}":
                        a_wins = True
                    else:
                        clash = True
                        break
                if not clash and a_wins and b_wins:
                    yield Issue(
                        rule="path-ambiguous",
                        message=f"{path_a} and {path_b} can match the same URL and neither "
                        "is more specific",
                        doc=spec.doc,
                        pointer=join("/paths", path_a),
                    )


def _path_keys(spec: Spec) -> list[str]:
    paths = spec.data.get("paths")
    if not isinstance(paths, dict):
        return []
    return [p for p in paths if isinstance(p, str) and not p.startswith("x-")]


def path_trailing_slash(spec: Spec) -> Iterator[Issue]:
    for path in _path_keys(spec):
        if len(path) > 1 and path.endswith("/"):
            yield Issue(
                rule="path-trailing-slash",
                message=f"path {path} ends with a slash",
                doc=spec.doc,
                pointer=join("/paths", path),
            )


def path_query_string(spec: Spec) -> Iterator[Issue]:
    for path in _path_keys(spec):
        if "?" in path or "#" in path:
            yield Issue(
                rule="path-query-string",
                message=f"path {path} contains a query string or fragment",
                doc=spec.doc,
                pointer=join("/paths", path),
            )


def _codes(spec: Spec, op: Operation) -> list[str]:
    raw = op.op.get("responses")
    return [str(c) for c in raw] if isinstance(raw, dict) else []


def success_response(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations():
        if "responses" not in op.op and spec.version not in ("2.0", "3.0"):
            continue  # 3.1 made `responses` optional: valid, nothing to say
        codes = _codes(spec, op)
        # A `default` response describes every status, success included.
        if not any(c[:1] in ("2", "3") or c == "default" for c in codes):
            yield _issue(
                spec,
                op,
                "operation-success-response",
                f"{_label(op)} has no 2xx or 3xx response",
                *(("responses",) if "responses" in op.op else ()),
            )


def client_error_response(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations():
        codes = _codes(spec, op)
        if codes and not any(c[:1] == "4" or c == "default" for c in codes):
            yield _issue(
                spec,
                op,
                "operation-4xx-response",
                f"{_label(op)} documents no 4xx response",
                "responses",
            )


def operation_summary(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations():
        if not (isinstance(op.op.get("summary"), str) and op.op["summary"].strip()):
            yield _issue(spec, op, "operation-summary", f"{_label(op)} has no summary")


def operation_description(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations():
        if not (isinstance(op.op.get("description"), str) and op.op["description"].strip()):
            yield _issue(spec, op, "operation-description", f"{_label(op)} has no description")


def operation_tag_defined(spec: Spec) -> Iterator[Issue]:
    declared = {t.get("name") for t in spec.data.get("tags") or [] if isinstance(t, dict)}
    for op in spec.operations():
        tags = op.op.get("tags")
        if not isinstance(tags, list):
            continue
        for index, tag in enumerate(tags):
            if tag not in declared:
                yield _issue(
                    spec,
                    op,
                    "operation-tag-defined",
                    f"{_label(op)} uses tag {tag!r}, which is not in the top-level tags",
                    "tags",
                    str(index),
                )


def _schemes(spec: Spec) -> dict[str, Any]:
    if spec.v2:
        raw = spec.data.get("securityDefinitions")
    else:
        raw = (spec.data.get("components") or {}).get("securitySchemes")
    if not isinstance(raw, dict):
        return {}
    return {k: spec.deref(spec.doc, "", v).value for k, v in raw.items()}


def _scopes(scheme: Any, v2: bool) -> set[str] | None:
    """The scopes a scheme defines; None when scopes are free-form (not OAuth2)."""
    if not isinstance(scheme, dict) or scheme.get("type") != "oauth2":
        return None
    if v2:
        return set(scheme.get("scopes") or {})
    scopes: set[str] = set()
    for flow in (scheme.get("flows") or {}).values():
        if isinstance(flow, dict):
            scopes.update(flow.get("scopes") or {})
    return scopes


def security_defined(spec: Spec) -> Iterator[Issue]:
    schemes = _schemes(spec)
    places: list[tuple[str, Any]] = [("/security", spec.data.get("security"))]
    places += [(join(op.pointer, "security"), op.op.get("security")) for op in spec.operations()]
    for pointer, requirements in places:
        if not isinstance(requirements, list):
            continue
        for index, requirement in enumerate(requirements):
            if not isinstance(requirement, dict):
                continue
            for name, scopes in requirement.items():
                at = join(pointer, str(index), name)
                if name not in schemes:
                    yield Issue(
                        rule="security-defined",
                        message=f"security scheme {name!r} is not defined",
                        doc=spec.doc,
                        pointer=at,
                    )
                    continue
                known = _scopes(schemes[name], spec.v2)
                if known is None or not isinstance(scopes, list):
                    continue
                for scope in scopes:
                    if scope not in known:
                        yield Issue(
                            rule="security-defined",
                            message=f"scope {scope!r} is not defined by security scheme {name!r}",
                            doc=spec.doc,
                            pointer=at,
                        )
