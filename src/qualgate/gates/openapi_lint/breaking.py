"""Breaking changes between two versions of a document, in oasdiff's categories.

Operations are matched by method and normalised path (template names do not matter),
parameters by name and location, responses by status code, media types by name,
webhooks by name and schemas structurally (`breaking_schemas`). A change that breaks
existing clients is an error (a warning where oasdiff says it may break); any other
change is an `api-change` note. Findings point at the new document, or at the old one
(``data["side"] == "base"``) for removals; every finding also knows the other side's
node, which the contract check (`contract`) uses to point at the contract.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from qualgate.gates.openapi_lint.breaking_ops import OperationsDiff
from qualgate.gates.openapi_lint.breaking_schemas import component_of
from qualgate.gates.openapi_lint.compare_base import API_CHANGE, Words
from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import get, join
from qualgate.gates.openapi_lint.model import Operation, Spec

_TEMPLATE = re.compile(r"\{[^{}]*\}")
_MISSING = object()


def _norm(path: str) -> str:
    return _TEMPLATE.sub("{}", path.rstrip("/") or "/")


class Comparison(OperationsDiff):
    """One old/new pair of specs and the issues found between them."""

    def run(self) -> list[Issue]:
        old_ops = {(_norm(o.path), o.method): o for o in self.old.operations()}
        new_ops = {(_norm(o.path), o.method): o for o in self.new.operations()}
        old_paths = {_norm(p): p for p in _path_keys(self.old)}
        new_paths = {_norm(p): p for p in _path_keys(self.new)}
        w = self.words
        for key, path in old_paths.items():
            if key not in new_paths:
                ops = [o for k, o in old_ops.items() if k[0] == key]
                retired = bool(ops) and all(_retired(o.op) for o in ops)
                self.report(
                    API_CHANGE if retired else "breaking-path-removed",
                    w.removed(f"path {path}") + (" (it was deprecated)" if retired else ""),
                    (self.old.doc, join("/paths", path)),
                    (self.new.doc, "/paths"),
                    side="base",
                    path=path,
                )
        for key, path in new_paths.items():
            if key not in old_paths:
                self.report(
                    API_CHANGE,
                    w.added(f"path {path}"),
                    (self.old.doc, "/paths"),
                    (self.new.doc, join("/paths", path)),
                    path=path,
                    kind="path-added",
                )
        unchanged = self._unchanged(old_ops, new_ops)
        for op_key, old_op in old_ops.items():
            new_op = new_ops.get(op_key)
            label = f"{old_op.method.upper()} {old_op.path}"
            if new_op is None:
                if op_key[0] in new_paths:
                    retired = _retired(old_op.op)
                    self.report(
                        API_CHANGE if retired else "breaking-operation-removed",
                        w.removed(f"operation {label}")
                        + (" (it was deprecated)" if retired else ""),
                        (old_op.doc, old_op.pointer),
                        (self.new.doc, join("/paths", new_paths[op_key[0]])),
                        side="base",
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
                self.report(
                    API_CHANGE,
                    w.added(f"operation {new_op.method.upper()} {new_op.path}"),
                    (self.old.doc, join("/paths", old_paths[op_key[0]])),
                    (new_op.doc, new_op.pointer),
                    path=new_op.path,
                    method=new_op.method,
                    kind="operation-added",
                )
        self._webhooks()
        return self.issues

    def _webhooks(self) -> None:
        old, new = self.old.data.get("webhooks"), self.new.data.get("webhooks")
        old = old if isinstance(old, dict) else {}
        new = new if isinstance(new, dict) else {}
        for name in old.keys() - new.keys():
            self.report(
                "breaking-webhook-removed",
                self.words.removed(f"webhook {name!r}"),
                (self.old.doc, join("/webhooks", name)),
                (self.new.doc, "/webhooks" if new else ""),
                side="base",
            )
        for name in new.keys() - old.keys():
            self.report(
                API_CHANGE,
                self.words.added(f"webhook {name!r}"),
                (self.old.doc, "/webhooks" if old else ""),
                (self.new.doc, join("/webhooks", name)),
            )

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
                    prefix = _operation_prefix(site.pointer)
                    op_refs.setdefault((id(spec), prefix), set()).add(target)
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

    # -- security -------------------------------------------------------------------

    def _security(self, old_op: Operation, new_op: Operation, label: str) -> None:
        def effective(spec: Spec, op: Operation) -> tuple[object, str]:
            if "security" in op.op:
                return op.op["security"], join(op.pointer, "security")
            return spec.data.get("security"), "/security"

        old_req, old_pointer = effective(self.old, old_op)
        new_req, new_pointer = effective(self.new, new_op)
        old_set = _requirements(old_req)
        new_set = _requirements(new_req)
        old_loc = (old_op.doc if old_pointer != "/security" else self.old.doc, old_pointer)
        new_loc = (new_op.doc if new_pointer != "/security" else self.new.doc, new_pointer)
        if old_loc[1] == "/security" and "security" not in self.old.data:
            old_loc = (old_op.doc, old_op.pointer)
        # Each requirement object is an alternative: a call is accepted if it meets one.
        # A new alternative list breaks callers when some new alternative is not
        # satisfiable by what an old alternative already required.
        if old_set is None:
            if new_set:
                self.report(
                    "breaking-security-added",
                    f"{label}: security is now required ({_show(new_set)})",
                    old_loc,
                    new_loc,
                )
            return
        if new_set is None:
            self.report(API_CHANGE, f"{label}: security is no longer required", old_loc, new_loc)
            return
        for old_alt in old_set:
            if not any(new_alt <= old_alt for new_alt in new_set):
                self.report(
                    "breaking-security-added",
                    f"{label}: callers authenticated with {_show([old_alt]) or 'nothing'} are no "
                    f"longer accepted (now {_show(new_set)})",
                    old_loc,
                    new_loc,
                )
                return


def _retired(op: dict[str, Any]) -> bool:
    """Deprecated, and past its ``x-sunset`` date if it has one (oasdiff's rule)."""
    if op.get("deprecated") is not True:
        return False
    sunset = op.get("x-sunset")
    if sunset is None:
        return True
    try:
        return datetime.date.fromisoformat(str(sunset)[:10]) <= datetime.date.today()
    except ValueError:
        return False


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


def compare(old: Spec, new: Spec, *, words: Words | None = None) -> list[Issue]:
    """Issues for every change from ``old`` to ``new``."""
    return Comparison(old, new, words=words).run()
