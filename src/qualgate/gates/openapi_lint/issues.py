"""What every check of the gate produces before it becomes a located `Finding`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qualgate.gates.openapi_lint.loader import Document


@dataclass(frozen=True, kw_only=True, slots=True)
class Issue:
    """A rule broken at a node: located later, in one batch per document.

    ``doc`` is the document holding the node (an external file for a node reached
    through ``$ref``); ``path`` is used instead when there is no loaded document (a
    file that does not parse). ``line`` set means the position is already known.
    ``counterpart`` is set by comparisons (see the field).
    """

    rule: str
    message: str
    doc: Document | None = None
    path: str | None = None
    pointer: str = ""
    line: int | None = None
    column: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    # A comparison's other side: the node in the older document (or contract) that
    # corresponds to this one, or its nearest existing parent for an addition.
    counterpart: tuple[Document, str] | None = None
