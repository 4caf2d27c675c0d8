"""Loading OpenAPI documents safely, with positions for every JSON pointer.

JSON goes through ``json.loads`` and keeps no positions: `json_locator` finds them only
for the pointers findings need. YAML is composed by libyaml with marks and converted by
`yaml_loader` (safe tags only, alias bombs refused). Measured on the corpus (CPU): libyaml
composition 0.8-1.0 s for 3 MB of YAML, conversion 0.15 s; ``json.loads`` 0.05 s for 4 MB
of JSON; one locate batch 0.1 s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from qualgate.fsutil import ReadRefused, read_bytes_bounded
from qualgate.gates.openapi_lint.pointer import (
    LoadProblem,
    Position,
    escape,
    get,
    join,
    split_pointer,
    unescape,
)
from qualgate.gates.openapi_lint.yaml_loader import MAX_EXPANDED_NODES, load_yaml, locate_yaml

if TYPE_CHECKING:
    from qualgate.gates.openapi_lint.json_locator import JsonLocator

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_EXPANDED_NODES",
    "Document",
    "LoadProblem",
    "Position",
    "SourceMap",
    "escape",
    "get",
    "join",
    "load_file",
    "load_text",
    "split_pointer",
    "unescape",
]

# A document larger than this is refused (bytes); the biggest real API descriptions
# we know (Stripe, Kubernetes) are around 4-8 MB.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(kw_only=True, slots=True)
class Document:
    """A loaded document: its data and a way back from JSON pointers to positions."""

    path: Path
    rel: str
    data: Any
    text: str
    is_json: bool
    node: yaml.Node | None = None
    # A document generated from the app's code: where each node is declared there.
    sources: SourceMap | None = None
    _json_locator: JsonLocator | None = field(default=None, repr=False)

    def locate(self, pointer: str) -> Position | None:
        """Where the node at ``pointer`` starts (the key's position for a mapping member)."""
        return self.locate_many((pointer,)).get(pointer)

    def locate_many(self, pointers: Iterable[str]) -> dict[str, Position]:
        """Positions of many pointers at once (one text pass for JSON)."""
        wanted = set(pointers)
        if self.is_json:
            if self._json_locator is None:
                from qualgate.gates.openapi_lint.json_locator import JsonLocator

                self._json_locator = JsonLocator(self.text)
            return self._json_locator.locate(wanted)
        out: dict[str, Position] = {}
        if self.node is None:
            return out
        index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}
        for pointer in wanted:
            position = locate_yaml(self.node, pointer, index)
            if position is not None:
                out[pointer] = position
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceMap:
    """Where the nodes of a generated document come from in the project's code.

    ``entries`` maps JSON pointers (operations, component schemas, properties) to
    (root-relative file, line); a pointer is placed at its nearest mapped ancestor, else
    at ``fallback`` (where the app is defined).
    """

    entries: Mapping[str, tuple[str, int]]
    fallback: tuple[str, int]

    def locate(self, pointer: str) -> tuple[str, int]:
        while pointer:
            found = self.entries.get(pointer)
            if found is not None:
                return found
            pointer = pointer.rsplit("/", 1)[0]
        return self.fallback


def load_text(text: str, path: Path, rel: str) -> tuple[Document | None, list[LoadProblem]]:
    """Parse ``text`` (JSON when the name ends in .json, else YAML; JSON is also YAML)."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, [
                LoadProblem(
                    rule="json-syntax",
                    message=f"invalid JSON: {exc.msg}",
                    line=exc.lineno,
                    column=exc.colno,
                )
            ]
        except RecursionError:
            return None, [LoadProblem(rule="json-syntax", message="JSON nested too deeply")]
        return Document(path=path, rel=rel, data=data, text=text, is_json=True), []
    loaded, data, node, problems = load_yaml(text)
    if not loaded:
        return None, problems
    return Document(path=path, rel=rel, data=data, text=text, is_json=False, node=node), problems


def load_file(
    path: Path, rel: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Document | None, list[LoadProblem]]:
    """Read and parse one file, refusing oversized, special or undecodable ones with a problem.

    Only regular files are read, and at most ``max_bytes`` of them: a device or FIFO
    (``openapi.yaml -> /dev/zero``) reports a size of 0 and never ends.
    """
    try:
        raw = read_bytes_bounded(path, max_bytes)
    except ReadRefused as exc:
        if "not a regular file" in str(exc):
            return None, [
                LoadProblem(
                    rule="document-unreadable",
                    message="not a regular file (a device, FIFO or socket): not read",
                    line=1,
                    column=1,
                )
            ]
        size = _size(path)
        shown = f"{size} bytes" if size is not None and size > max_bytes else "the file"
        return None, [
            LoadProblem(
                rule="document-too-large",
                message=f"{shown} is over the limit of {max_bytes} bytes (max-size-mb)",
                line=1,
                column=1,
            )
        ]
    except OSError as exc:
        return None, [
            LoadProblem(rule="document-unreadable", message=f"cannot read: {exc.strerror or exc}")
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [
            LoadProblem(rule="document-encoding", message=f"not UTF-8: {exc.reason}", line=line)
        ]
    return load_text(text, path, rel)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
