"""Parameters, request bodies, responses and their headers compared (a mixin of
Comparison): the operation-level categories of oasdiff's checker, each schema handed to
the schema walk with its direction (parameters and headers are loosely typed, bodies by
their media type).
"""

from __future__ import annotations

from typing import Any

from qualgate.gates.openapi_lint.breaking_schemas import SchemaDiff
from qualgate.gates.openapi_lint.compare_base import API_CHANGE, Ctx, at
from qualgate.gates.openapi_lint.loader import join
from qualgate.gates.openapi_lint.model import Node, Operation, Spec

_MISSING = object()


def _json(media: str) -> bool:
    base = media.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _strong(media: str) -> bool:
    """JSON media types are strongly typed: 1 is not "1" (oasdiff's isStronglyTyped)."""
    return media in ("", "application/json") or media.endswith("+json")


class OperationsDiff(SchemaDiff):
    """What one operation takes and returns."""

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
        renamed = len([p for p in old_params if p[1] == "path"]) == len(
            [p for p in new_params if p[1] == "path"]
        )
        w = self.words
        for k, node in old_params.items():
            if k in new_params or (k[1] == "path" and renamed):
                continue  # a renamed path template is the same URL
            retired = node.value.get("deprecated") is True
            self.report(
                API_CHANGE if retired else "breaking-parameter-removed",
                f"{label}: " + w.removed(f"{k[1]} parameter {k[0]!r}"),
                at(node),
                (new_op.doc, new_op.pointer),
                side="base",
            )
        for k, node in new_params.items():
            old = old_params.get(k)
            required = node.value.get("required") is True
            what = f"{k[1]} parameter {k[0]!r}"
            if old is None:
                if k[1] == "path" and renamed:
                    continue
                self.report(
                    "breaking-parameter-required" if required else API_CHANGE,
                    f"{label}: " + w.added(("required " if required else "optional ") + what),
                    (old_op.doc, old_op.pointer),
                    at(node),
                )
                continue
            was = old.value.get("required") is True
            if required != was:
                self.report(
                    "breaking-parameter-required" if required else API_CHANGE,
                    f"{label}: " + w.became(what, "required" if required else "optional"),
                    at(old, "required") if "required" in old.value else at(old),
                    at(node, "required") if "required" in node.value else at(node),
                )
            old_schema, new_schema = _param_schema(self.old, old), _param_schema(self.new, node)
            if old_schema is None or new_schema is None:
                continue
            self._default(old_schema, new_schema, f"{label}: {what}")
            self.schema(old_schema, new_schema, Ctx("request", f"{label} {what}", strong=False))

    def _default(self, old: Node, new: Node, label: str) -> None:
        old = self.old.deref(old.doc, old.pointer, old.value)
        new = self.new.deref(new.doc, new.pointer, new.value)
        if not isinstance(old.value, dict) or not isinstance(new.value, dict):
            return
        a, b = old.value.get("default", _MISSING), new.value.get("default", _MISSING)
        if a == b:
            return
        w = self.words
        kind = "default-changed"
        if a is _MISSING:
            message, kind = w.added(f"default {b!r}"), "default-added"
        elif b is _MISSING:
            message = w.removed(f"default {a!r}")
        else:
            message = w.changed("default", repr(a), repr(b))
        self.report(
            "breaking-parameter-default-changed",
            f"{label}: {message}",
            *self.pair(old, new, "default"),
            kind=kind,
        )

    # -- bodies ---------------------------------------------------------------------

    def _request_body(self, old_op: Operation, new_op: Operation, label: str) -> None:
        old_body, new_body = self.old.request_body(old_op), self.new.request_body(new_op)
        old_ok = old_body is not None and isinstance(old_body.value, dict)
        new_ok = new_body is not None and isinstance(new_body.value, dict)
        w = self.words
        if old_ok and not new_ok:
            assert old_body is not None  # noqa: S101 - for mypy
            self.report(
                "breaking-request-body-removed",
                f"{label}: " + w.removed("the request body"),
                at(old_body),
                (new_op.doc, new_op.pointer),
                side="base",
            )
            return
        if not new_ok:
            return
        assert new_body is not None  # noqa: S101 - for mypy
        required = new_body.value.get("required") is True
        if not old_ok:
            self.report(
                "breaking-request-property-required" if required else API_CHANGE,
                f"{label}: " + w.added(("a required" if required else "an optional") + " body"),
                (old_op.doc, old_op.pointer),
                at(new_body),
            )
            return
        assert old_body is not None  # noqa: S101 - for mypy
        was = old_body.value.get("required") is True
        if required != was:
            self.report(
                "breaking-request-property-required" if required else API_CHANGE,
                f"{label}: " + w.became("the request body", "required" if required else "optional"),
                at(old_body),
                at(new_body),
            )
        self._content(old_body, new_body, "request", f"{label} request body")

    def _content(self, old: Node, new: Node, direction: str, label: str) -> None:
        w = self.words
        old_media = dict(self.old.media_schemas(old))
        new_media = dict(self.new.media_schemas(new))
        if not self.old.v2 and not self.new.v2:
            old_content = _content_of(old.value)
            new_content = _content_of(new.value)
            for media in sorted(old_content.keys() - new_content.keys()):
                self.report(
                    "breaking-media-type-removed",
                    f"{label}: " + w.removed(f"media type {media}"),
                    at(old, "content", media),
                    at(new, "content") if new_content else at(new),
                    side="base",
                )
            for media in sorted(new_content.keys() - old_content.keys()):
                self.report(
                    API_CHANGE,
                    f"{label}: " + w.added(f"media type {media}"),
                    at(old, "content") if old_content else at(old),
                    at(new, "content", media),
                )
            for media in sorted(old_content.keys() & new_content.keys()):
                if media not in old_media and media in new_media and direction == "request":
                    self.report(
                        "breaking-media-type-removed",
                        f"{label}: " + w.added(f"a schema for {media}, which had none"),
                        at(old, "content", media),
                        at(new, "content", media, "schema"),
                    )
        for media, new_schema in new_media.items():
            old_schema = old_media.get(media)
            if old_schema is None and len(old_media) == 1 and len(new_media) == 1:
                # One media type renamed (application/json -> ...;charset=utf-8): the
                # same body, when both are JSON.
                old_name = next(iter(old_media))
                if _json(old_name) and _json(media):
                    old_schema = old_media[old_name]
            if old_schema is not None:
                self.schema(old_schema, new_schema, Ctx(direction, label, strong=_strong(media)))

    def _responses(self, old_op: Operation, new_op: Operation, label: str) -> None:
        old_responses, new_responses = self.old.responses(old_op), self.new.responses(new_op)
        w = self.words
        for code, node in old_responses.items():
            if code in new_responses:
                here = f"{label} response {code}"
                self._headers(node, new_responses[code], here)
                self._content(node, new_responses[code], "response", here)
                continue
            success = code[:1] in ("2", "3")
            self.report(
                "breaking-success-response-removed" if success else API_CHANGE,
                f"{label}: " + w.removed(f"response {code}"),
                (old_op.doc, join(old_op.pointer, "responses", code)),
                (new_op.doc, join(new_op.pointer, "responses")),
                side="base",
            )
        for code in new_responses:
            if code not in old_responses:
                self.report(
                    API_CHANGE,
                    f"{label}: " + w.added(f"response {code}"),
                    (old_op.doc, join(old_op.pointer, "responses")),
                    (new_op.doc, join(new_op.pointer, "responses", code)),
                )

    def _headers(self, old: Node, new: Node, label: str) -> None:
        def headers(spec: Spec, node: Node) -> dict[str, Node]:
            raw = node.value.get("headers") if isinstance(node.value, dict) else None
            if not isinstance(raw, dict):
                return {}
            out = {}
            for name, value in raw.items():
                found = spec.deref(node.doc, join(node.pointer, "headers", name), value)
                if isinstance(found.value, dict):
                    out[name.lower()] = found
            return out

        old_headers, new_headers = headers(self.old, old), headers(self.new, new)
        w = self.words
        for name, node in old_headers.items():
            required = node.value.get("required") is True
            target = new_headers.get(name)
            if target is None:
                self.report(
                    "breaking-response-header-removed"
                    if required
                    else "breaking-response-optional-header-removed",
                    f"{label}: "
                    + w.removed(f"{'required' if required else 'optional'} header {name!r}"),
                    at(node),
                    at(new, "headers") if new_headers else at(new),
                    side="base",
                )
                continue
            if required != (target.value.get("required") is True):
                self.report(
                    "breaking-response-header-removed" if required else API_CHANGE,
                    f"{label}: "
                    + w.became(f"header {name!r}", "optional" if required else "required"),
                    at(node),
                    at(target),
                )
            old_schema = _param_schema(self.old, node)
            new_schema = _param_schema(self.new, target)
            if old_schema is not None and new_schema is not None:
                self.schema(
                    old_schema, new_schema, Ctx("response", f"{label} header {name}", strong=False)
                )
        for name, node in new_headers.items():
            if name not in old_headers:
                self.report(
                    API_CHANGE,
                    f"{label}: " + w.added(f"header {name!r}"),
                    at(old, "headers") if old_headers else at(old),
                    at(node),
                )


def _content_of(value: Any) -> dict[str, Any]:
    content = value.get("content") if isinstance(value, dict) else None
    return content if isinstance(content, dict) else {}


def _param_schema(spec: Spec, param: Node) -> Node | None:
    if spec.v2 or "schema" not in param.value:
        # Swagger 2.0 non-body parameters (and headers) carry schema keywords themselves.
        return param
    return spec.deref(param.doc, join(param.pointer, "schema"), param.value["schema"])
