"""``$ref`` resolution: local pointers, relative files inside the project, opt-in remote.

Every ``$ref`` of the root document and of each file it reaches is resolved once
(`Resolver.check`), so an unresolvable ref is reported at its own position, and the
rules can follow refs with `Resolver.deref` (cycles are fine: nothing is expanded).
Files outside the project root are refused; http(s) refs are fetched only with
``--allow-remote-refs`` (with a timeout and a size cap).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate.gates.openapi_lint import loader
from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import Document

# Keys whose children are user-chosen names, not keywords: under them any key may hold
# a $ref-bearing object (a property called "example" is still a schema).
NAME_MAPS = frozenset(
    (
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "schemas",
        "responses",
        "parameters",
        "securitySchemes",
        "securityDefinitions",
        "headers",
        "links",
        "callbacks",
        "examples",
        "requestBodies",
        "content",
        "encoding",
        "paths",
        "pathItems",
        "webhooks",
        "variables",
        "dependentSchemas",
    )
)
# Keys holding literal values (examples, defaults, enums) where "$ref" is just data.
LITERALS = frozenset(("example", "default", "enum", "const", "value", "x-examples"))

REMOTE_MAX_BYTES = 16 * 1024 * 1024
REMOTE_TIMEOUT = 10.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """Where a ref lands."""

    doc: Document
    pointer: str
    value: Any


@dataclass(frozen=True, kw_only=True, slots=True)
class RefSite:
    """One ``$ref`` in a document: the object holding it and where it lands (or None)."""

    doc: Document
    pointer: str
    ref: str
    target: Target | None
    holder: dict[str, Any]


def iter_refs(data: Any, pointer: str = "") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(pointer of the object holding ``$ref``, the ref, that object) for every ref."""
    # Iterative walk: specs nest deeply and recursion is slower.
    stack: list[tuple[Any, str, bool]] = [(data, pointer, False)]
    while stack:
        node, here, names = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not names:
                yield here, ref, node
            for key, value in node.items():
                if not isinstance(value, (dict, list)):
                    continue
                if not names and (key in LITERALS or key.startswith("x-")):
                    continue
                stack.append(
                    (value, f"{here}/{loader.escape(key)}", key in NAME_MAPS and not names)
                )
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, (dict, list)):
                    stack.append((item, f"{here}/{index}", False))


class Resolver:
    """Loads the documents a root document refers to and resolves refs between them."""

    def __init__(
        self,
        root_doc: Document,
        project_root: Path,
        *,
        allow_remote: bool = False,
        read: Callable[[Path, str], tuple[Document | None, list[loader.LoadProblem]]] | None = None,
        max_bytes: int = loader.DEFAULT_MAX_BYTES,
    ) -> None:
        self.root_doc = root_doc
        self.project_root = project_root.resolve()
        self.allow_remote = allow_remote
        self.max_bytes = max_bytes
        self._read = read or self._read_file
        # Documents by location (absolute path text or URL); None when it failed to load.
        self.docs: dict[str, Document | None] = {self._key(root_doc): root_doc}
        self.failures: dict[str, str] = {}
        self.issues: list[Issue] = []
        self.sites: list[RefSite] = []
        self._resolved: dict[tuple[int, str], tuple[Target | None, str | None]] = {}

    def _read_file(self, path: Path, rel: str) -> tuple[Document | None, list[loader.LoadProblem]]:
        if not path.is_file():
            return None, [loader.LoadProblem(rule="document-missing", message="no such file")]
        return loader.load_file(path, rel, max_bytes=self.max_bytes)

    @staticmethod
    def _key(doc: Document) -> str:
        return doc.rel if doc.rel.startswith(("http://", "https://")) else str(doc.path)

    # -- resolution ---------------------------------------------------------------

    def resolve(self, doc: Document, ref: str) -> tuple[Target | None, str | None]:
        """Where ``ref`` (found in ``doc``) lands, or None and the reason."""
        key = (id(doc), ref)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(doc, ref)
        return found

    def _resolve(self, doc: Document, ref: str) -> tuple[Target | None, str | None]:
        location, _, fragment = ref.partition("#")
        fragment = urllib.parse.unquote(fragment)
        if location:
            target_doc, why = self._document(doc, location)
            if target_doc is None:
                return None, why
        else:
            target_doc = doc
        if fragment and not fragment.startswith("/"):
            return None, f"fragment {fragment!r} is not a JSON pointer"
        try:
            value = loader.get(target_doc.data, fragment)
        except (KeyError, IndexError, TypeError, ValueError):
            where = target_doc.rel if location else "this document"
            return None, f"{fragment or '/'} does not exist in {where}"
        return Target(doc=target_doc, pointer=fragment, value=value), None

    def _document(self, doc: Document, location: str) -> tuple[Document | None, str | None]:
        base_remote = doc.rel.startswith(("http://", "https://"))
        parsed = urllib.parse.urlsplit(location)
        if parsed.scheme in ("http", "https") or base_remote:
            url = urllib.parse.urljoin(doc.rel, location) if base_remote else location
            if not url.startswith(("http://", "https://")):
                return None, f"{location}: a remote document cannot refer to local files"
            return self._remote(url)
        if parsed.scheme and len(parsed.scheme) > 1:
            return None, f"{location}: only relative file refs and http(s) URLs are supported"
        target = (doc.path.parent / urllib.parse.unquote(parsed.path)).resolve()
        try:
            rel = target.relative_to(self.project_root).as_posix()
        except ValueError:
            return None, f"{location} is outside the project root; refusing to read it"
        key = str(target)
        if key not in self.docs:
            loaded, problems = self._read(target, rel)
            self.docs[key] = loaded
            if loaded is None and any(p.rule == "document-missing" for p in problems):
                self.failures[key] = f"file {rel} does not exist"
            else:
                for problem in problems:
                    self.issues.append(
                        Issue(
                            rule=problem.rule,
                            message=problem.message,
                            doc=loaded,
                            path=rel,
                            pointer=problem.pointer,
                            line=problem.line,
                            column=problem.column,
                        )
                    )
                if loaded is None:
                    self.failures[key] = f"file {rel} could not be loaded"
        found = self.docs[key]
        return found, self.failures.get(key)

    def _remote(self, url: str) -> tuple[Document | None, str | None]:
        if not self.allow_remote:
            return None, "remote"
        if url in self.docs:
            return self.docs[url], self.failures.get(url)
        self.docs[url] = None
        # Imported here: urllib.request pulls in http.client, ssl and email (~90 ms).
        import urllib.error
        import urllib.request

        try:
            request = urllib.request.Request(url, headers={"User-Agent": "qualgate"})  # noqa: S310
            with urllib.request.urlopen(request, timeout=REMOTE_TIMEOUT) as response:  # noqa: S310
                raw = response.read(REMOTE_MAX_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            self.failures[url] = f"fetching {url} failed: {exc}"
            return None, self.failures[url]
        if len(raw) > REMOTE_MAX_BYTES:
            self.failures[url] = f"{url} is larger than {REMOTE_MAX_BYTES} bytes"
            return None, self.failures[url]
        name = urllib.parse.urlsplit(url).path or "remote.yaml"
        loaded, problems = loader.load_text(raw.decode("utf-8", "replace"), Path(name), url)
        if loaded is None:
            reason = problems[0].message if problems else "unreadable"
            self.failures[url] = f"{url} could not be loaded: {reason}"
            return None, self.failures[url]
        self.docs[url] = loaded
        return loaded, None

    # -- checking every ref -----------------------------------------------------

    def check(self) -> list[Issue]:
        """Resolve every ref of every reachable document; issues for the broken ones."""
        seen: set[str] = set()
        queue = [self.root_doc]
        while queue:
            doc = queue.pop()
            key = self._key(doc)
            if key in seen:
                continue
            seen.add(key)
            for pointer, ref, holder in iter_refs(doc.data):
                target, why = self.resolve(doc, ref)
                self.sites.append(
                    RefSite(doc=doc, pointer=pointer, ref=ref, target=target, holder=holder)
                )
                if target is not None:
                    if target.doc is not doc:
                        queue.append(target.doc)
                    continue
                self.issues.append(self._ref_issue(doc, pointer, ref, why or "unresolvable"))
        return self.issues

    def _ref_issue(self, doc: Document, pointer: str, ref: str, why: str) -> Issue:
        at = loader.join(pointer, "$ref")
        data = {"pointer": at, "ref": ref}
        if why == "remote":
            return Issue(
                rule="ref-remote",
                message=f"$ref {ref!r} is a remote URL and was not fetched, so not checked: "
                "pass --allow-remote-refs to resolve it (or set ref-remote to a warning)",
                doc=doc,
                pointer=at,
                data=data,
            )
        if "outside the project root" in why:
            return Issue(
                rule="ref-outside-root",
                message=f"$ref {ref!r}: {why}",
                doc=doc,
                pointer=at,
                data=data,
            )
        return Issue(
            rule="ref-unresolved",
            message=f"$ref {ref!r} cannot be resolved: {why}",
            doc=doc,
            pointer=at,
            data=data,
        )

    def deref(self, doc: Document, pointer: str, value: Any) -> tuple[Document, str, Any]:
        """Follow a chain of refs from ``value`` (at ``doc``/``pointer``); cycles stop."""
        seen: set[tuple[int, str]] = set()
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            mark = (id(doc), pointer)
            if mark in seen:
                break
            seen.add(mark)
            target, _ = self.resolve(doc, value["$ref"])
            if target is None:
                break
            doc, pointer, value = target.doc, target.pointer, target.value
        return doc, pointer, value
