"""Breaking changes between two versions of a document, in oasdiff's categories.

Operations are matched by method and normalised path (template names do not matter),
parameters by name and location, responses by status code, media types by name and
schemas structurally (following refs on both sides; each pair of schema nodes is
compared once, so cycles end and a changed component is reported once). A change that
breaks existing clients is an error; any other change is a note. Findings point at
the new document, or at the old one (``data["side"] == "base"``) for removals.
"""

from __future__ import annotations

import re

from qualgate.gates.openapi_lint.breaking_schemas import SchemaDiff, component_of
from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import get, join
from qualgate.gates.openapi_lint.model import Node, Operation, Spec

_TEMPLATE = re.compile(r"\{[^{}]*\}")


def _norm(path: str) -> str:
    return _TEMPLATE.sub("{}", path.rstrip("/") or "/")


class Comparison(SchemaDiff):
    """One old/new pair of specs and the issues found between them."""

    # -- paths and operations -----------------------------------------------------

    def run(self) -> list[Issue]:
        old_ops = {(_norm(o.path), o.method): o for o in self.old.operations()}
        new_ops = {(_norm(o.path), o.method): o for o in self.new.operations()}
        old_paths = {_norm(p): p for p in _path_keys(self.old)}
        new_paths = {_norm(p): p for p in _path_keys(self.new)}
        for key, path in old_paths.items():
            if key not in new_paths:
                self._old(
                    "breaking-path-removed",
                    f"path {path} was removed",
                    (self.old.doc, join("/paths", path)),
                    path=path,
                )
        for key, path in new_paths.items():
            if key not in old_paths:
                self._new(
                    "api-change",
                    f"path {path} was added",
                    (self.new.doc, join("/paths", path)),
                    path=path,
                )
        unchanged = self._unchanged(old_ops, new_ops)
        for op_key, old_op in old_ops.items():
            new_op = new_ops.get(op_key)
            label = f"{old_op.method.upper()} {old_op.path}"
            if new_op is None:
                if op_key[0] in new_paths:
                    self._old(
                        "breaking-operation-removed",
                        f"operation {label} was removed",
                        (old_op.doc, old_op.pointer),
                        path=old_op.path,
                        method=old_op.method,
                    )
                continue
            if op_key in unchanged:
                self._security(old_op, new_op, f"{new_op.method.upper()} {new_op.path}")
            else:
                self._operation(old_op, new_op)
        for op_key, new_op in new_ops.items():
            if op_key not in old_ops and op_key[0] in old_paths:
                self._new(
                    "api-change",
                    f"operation {new_op.method.upper()} {new_op.path} was added",
                    (new_op.doc, new_op.pointer),
                )
        return self.issues

    def _unchanged(
        self, old_ops: dict[tuple[str, str], Operation], new_ops: dict[tuple[str, str], Operation]
    ) -> set[tuple[str, str]]:
        """Operations whose text and every component they reach are identical.

        Most operations do not change between two versions; comparing them would walk
        every schema they use. An operation is skipped when its own subtree (and its
        path-level parameters) are equal on both sides and none of the components its
        refs reach, directly or through other components, differ.
        """
        specs = (self.old, self.new)
        if any(len([d for d in s.resolver.docs.values() if d is not None]) > 1 for s in specs):
            return set()  # multi-file documents: compare everything
        deps: dict[str, set[str]] = {}
        op_refs: dict[tuple[int, str], set[str]] = {}
        for spec in specs:
            for site in spec.resolver.sites:
                if site.target is None:
                    continue
                target = component_of(site.target.pointer)
                if target is None:
                    continue
                source = component_of(site.pointer)
                if source is not None:
                    deps.setdefault(source, set()).add(target)
                else:
                    op_refs.setdefault((id(spec), _operation_prefix(site.pointer)), set()).add(
                        target
                    )
        names = set(deps) | {t for ts in (*deps.values(), *op_refs.values()) for t in ts}
        dirty = {c for c in names if _get(self.old.data, c) != _get(self.new.data, c)}
        changed = True
        while changed:
            changed = False
            for source, targets in deps.items():
                if source not in dirty and targets & dirty:
                    dirty.add(source)
                    changed = True
        self._dirty = dirty
        out: set[tuple[str, str]] = set()
        for key, old_op in old_ops.items():
            new_op = new_ops.get(key)
            if new_op is None or old_op.path != new_op.path or old_op.op != new_op.op:
                continue
            if old_op.item.get("parameters") != new_op.item.get("parameters"):
                continue
            reached: set[str] = set()
            for spec, op in ((self.old, old_op), (self.new, new_op)):
                reached |= op_refs.get((id(spec), op.pointer), set())
                reached |= op_refs.get((id(spec), op.item_pointer), set())
            if not reached & dirty:
                out.add(key)
        return out

    def _operation(self, old_op: Operation, new_op: Operation) -> None:
        label = f"{new_op.method.upper()} {new_op.path}"
        self._parameters(old_op, new_op, label)
        self._request_body(old_op, new_op, label)
        self._responses(old_op, new_op, label)
        self._security(old_op, new_op, label)

    def _parameters(self, old_op: Operation, new_op: Operation, label: str) -> None:
        def key(node: Node) -> tuple[object, object]:
            name = node.value.get("name")
            where = node.value.get("in")
            # Header names are case-insensitive; path names are positional.
            if where == "header" and isinstance(name, str):
                name = name.lower()
            return name, where

        old_params = {key(p): p for p in self.old.parameters(old_op) if p.value.get("in") != "body"}
        new_params = {key(p): p for p in self.new.parameters(new_op) if p.value.get("in") != "body"}
        old_path_names = [p for p in old_params if p[1] == "path"]
        new_path_names = [p for p in new_params if p[1] == "path"]
        for k, node in old_params.items():
            if k in new_params:
                continue
            if k[1] == "path" and len(old_path_names) == len(new_path_names):
                continue  # renamed path template: same URL, not a removal
            self._old(
                "breaking-parameter-removed",
                f"{label}: {k[1]} parameter {k[0]!r} was removed",
                node,
            )
        for k, node in new_params.items():
            old = old_params.get(k)
            required = node.value.get("required") is True
            if old is None:
                if k[1] == "path" and len(old_path_names) == len(new_path_names):
                    continue
                if required:
                    self._new(
                        "breaking-parameter-required",
                        f"{label}: new required {k[1]} parameter {k[0]!r}",
                        node,
                    )
                else:
                    self._new(
                        "api-change", f"{label}: new optional {k[1]} parameter {k[0]!r}", node
                    )
                continue
            if required and old.value.get("required") is not True:
                self._new(
                    "breaking-parameter-required",
                    f"{label}: {k[1]} parameter {k[0]!r} became required",
                    Node(doc=node.doc, pointer=join(node.pointer, "required"), value=True),
                )
            old_schema, new_schema = (
                self._param_schema(self.old, old),
                self._param_schema(self.new, node),
            )
            if old_schema is not None and new_schema is not None:
                self._schema(old_schema, new_schema, "request", f"{label} {k[1]} {k[0]!r}")

    @staticmethod
    def _param_schema(spec: Spec, param: Node) -> Node | None:
        if spec.v2 or "schema" not in param.value:
            # Swagger 2.0 non-body parameters carry their schema keywords themselves.
            return param
        return spec.deref(param.doc, join(param.pointer, "schema"), param.value["schema"])

    def _request_body(self, old_op: Operation, new_op: Operation, label: str) -> None:
        old_body, new_body = self.old.request_body(old_op), self.new.request_body(new_op)
        if new_body is None or not isinstance(new_body.value, dict):
            return
        required = new_body.value.get("required") is True
        if old_body is None or not isinstance(old_body.value, dict):
            if required:
                self._new(
                    "breaking-request-property-required",
                    f"{label}: a required request body was added",
                    new_body,
                )
            return
        if required and old_body.value.get("required") is not True:
            self._new(
                "breaking-request-property-required",
                f"{label}: the request body became required",
                new_body,
            )
        self._content(old_body, new_body, "request", f"{label} request body")

    def _content(self, old: Node, new: Node, direction: str, label: str) -> None:
        old_media = dict(self.old.media_schemas(old))
        new_media = dict(self.new.media_schemas(new))
        if not self.old.v2 and not self.new.v2:
            old_types = set((old.value.get("content") or {}) if isinstance(old.value, dict) else ())
            new_types = set((new.value.get("content") or {}) if isinstance(new.value, dict) else ())
            for media in sorted(old_types - new_types):
                self._old(
                    "breaking-media-type-removed",
                    f"{label}: media type {media} was removed",
                    (old.doc, join(old.pointer, "content", media)),
                )
            for media in sorted(new_types - old_types):
                self._new(
                    "api-change",
                    f"{label}: media type {media} was added",
                    (new.doc, join(new.pointer, "content", media)),
                )
        for media, new_schema in new_media.items():
            old_schema = old_media.get(media)
            if old_schema is None and len(old_media) == 1 and len(new_media) == 1:
                old_schema = next(iter(old_media.values()))
            if old_schema is not None:
                self._schema(old_schema, new_schema, direction, label)

    def _responses(self, old_op: Operation, new_op: Operation, label: str) -> None:
        old_responses, new_responses = self.old.responses(old_op), self.new.responses(new_op)
        for code, node in old_responses.items():
            if code in new_responses:
                self._content(node, new_responses[code], "response", f"{label} response {code}")
                continue
            success = code[:1] in ("2", "3")
            self._old(
                "breaking-success-response-removed" if success else "breaking-response-removed",
                f"{label}: response {code} was removed",
                (old_op.doc, join(old_op.pointer, "responses", code)),
            )
        for code in new_responses:
            if code not in old_responses:
                self._new(
                    "api-change",
                    f"{label}: response {code} was added",
                    (new_op.doc, join(new_op.pointer, "responses", code)),
                )

    def _security(self, old_op: Operation, new_op: Operation, label: str) -> None:
        def effective(spec: Spec, op: Operation) -> tuple[object, str]:
            if "security" in op.op:
                return op.op["security"], join(op.pointer, "security")
            return spec.data.get("security"), "/security"

        old_req, _ = effective(self.old, old_op)
        new_req, new_pointer = effective(self.new, new_op)
        old_set = _requirements(old_req)
        new_set = _requirements(new_req)
        # Each requirement object is an alternative: a call is accepted if it meets one.
        # A new alternative list breaks callers when some new alternative is not
        # satisfiable by what an old alternative already required.
        if old_set is None:
            if new_set:
                self._new(
                    "breaking-security-added",
                    f"{label}: security is now required ({_show(new_set)})",
                    (new_op.doc if new_pointer != "/security" else self.new.doc, new_pointer),
                )
            return
        if new_set is None:
            return
        for old_alt in old_set:
            if not any(new_alt <= old_alt for new_alt in new_set):
                self._new(
                    "breaking-security-added",
                    f"{label}: callers authenticated with {_show([old_alt]) or 'nothing'} are no "
                    f"longer accepted (now {_show(new_set)})",
                    (new_op.doc if new_pointer != "/security" else self.new.doc, new_pointer),
                )
                return


def _operation_prefix(pointer: str) -> str:
    """``/paths/X/get/...`` -> ``/paths/X/get``; path-level ``/paths/X/parameters/..``
    -> ``/paths/X`` (the path item)."""
    parts = pointer.split("/")
    if len(parts) >= 4 and parts[1] == "paths":
        return "/".join(parts[:3] if parts[3] == "parameters" else parts[:4])
    return pointer


def _get(data: object, pointer: str) -> object:
    try:
        return get(data, pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _path_keys(spec: Spec) -> list[str]:
    paths = spec.data.get("paths")
    if not isinstance(paths, dict):
        return []
    return [p for p in paths if isinstance(p, str) and not p.startswith("x-")]


def _requirements(raw: object) -> list[frozenset[str]] | None:
    """Security alternatives as sets of "scheme" and "scheme:scope"; None = no security."""
    if not isinstance(raw, list):
        return None
    alternatives = []
    for requirement in raw:
        if not isinstance(requirement, dict):
            continue
        items: set[str] = set()
        for name, scopes in requirement.items():
            items.add(name)
            if isinstance(scopes, list):
                items.update(f"{name}:{s}" for s in scopes)
        alternatives.append(frozenset(items))
    if not alternatives or any(not alt for alt in alternatives):
        return None  # an empty requirement makes security optional
    return alternatives


def _show(alternatives: list[frozenset[str]]) -> str:
    return " or ".join("+".join(sorted(a)) for a in alternatives)


def compare(old: Spec, new: Spec) -> list[Issue]:
    """Issues for every change from ``old`` to ``new``."""
    return Comparison(old, new).run()
