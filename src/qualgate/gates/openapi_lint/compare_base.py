"""What every comparison of two specs shares: reporting a change on both sides, and words.

A comparison walks an older spec (the base, or the contract) and a newer one (the
document now, or the implementation) side by side. Every change is reported with the
nodes of both sides (`Issue.counterpart`), so breaking changes can point at the new
document and contract deviations at the contract's line. `Words` phrases a change for
either reading: "was removed" between versions, "is not implemented" against a contract.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.loader import Document, join
from qualgate.gates.openapi_lint.model import Node, Spec

Loc = tuple[Document, str]
API_CHANGE = "api-change"


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where a schema comparison is: which way values flow, and how they are written."""

    direction: str  # "request": clients send it; "response": clients read it
    label: str
    # JSON media: 1 is not "1". Parameters and text media are loosely typed: any value
    # can be read as a string.
    strong: bool = True
    # A readOnly property in a request (clients do not send it) or a writeOnly one in a
    # response (servers do not return it): its changes break nobody.
    lenient: bool = False

    def at(self, suffix: str) -> Ctx:
        return dataclasses.replace(self, label=self.label + suffix)

    @property
    def request(self) -> bool:
        return self.direction == "request"


class Words:
    """Changes phrased between two versions of a document."""

    def removed(self, what: str) -> str:
        return f"{what} was removed"

    def added(self, what: str) -> str:
        return f"{what} was added"

    def changed(self, what: str, old: str, new: str) -> str:
        return f"{what} changed from {old} to {new}"

    def became(self, what: str, state: str) -> str:
        return f"{what} became {state}"


class ContractWords(Words):
    """Deviations phrased against a contract (the older side) by an implementation."""

    def removed(self, what: str) -> str:
        return f"{what} is in the contract but not in the implementation"

    def added(self, what: str) -> str:
        return f"{what} is in the implementation but not in the contract"

    def changed(self, what: str, old: str, new: str) -> str:
        return f"{what} is {new} in the implementation, {old} in the contract"

    def became(self, what: str, state: str) -> str:
        return f"{what} is {state} in the implementation, not in the contract"


def at(node: Node, *segments: str | int) -> Loc:
    """The location of ``node`` (or of a key under it)."""
    return node.doc, join(node.pointer, *segments)


def child(node: Node, *segments: str | int) -> Node:
    """The node under ``node`` at ``segments`` (the value need not exist)."""
    value: Any = node.value
    for segment in segments:
        if isinstance(value, dict):
            value = value.get(str(segment))
        elif isinstance(value, list) and isinstance(segment, int) and segment < len(value):
            value = value[segment]
        else:
            value = None
    return Node(doc=node.doc, pointer=join(node.pointer, *segments), value=value)


class DiffBase:
    """The two specs, the issues found so far, and how to report one."""

    def __init__(self, old: Spec, new: Spec, *, words: Words | None = None) -> None:
        self.old = old
        self.new = new
        self.words = words or Words()
        self.issues: list[Issue] = []
        self._seen: set[tuple[Any, ...]] = set()
        # Components that differ (or reach one that does); None: unknown, compare all.
        self._dirty: set[str] | None = None

    def report(
        self, rule: str, message: str, old: Loc, new: Loc, *, side: str = "new", **data: Any
    ) -> None:
        """One change: located on ``side`` ("new", or "base" for a removal), with the
        other side's node as its counterpart."""
        here, there = (new, old) if side == "new" else (old, new)
        self.issues.append(
            Issue(
                rule=rule,
                message=message,
                doc=here[0],
                pointer=here[1],
                data={"side": side, **data},
                counterpart=there,
            )
        )

    def judge(
        self,
        breaking: bool,
        rule: str,
        ctx: Ctx,
        message: str,
        old: Loc,
        new: Loc,
        *,
        side: str = "new",
        **data: Any,
    ) -> None:
        """Report ``rule`` when the change breaks clients (and the node is one they use),
        else an `api-change` note."""
        chosen = rule if breaking and not ctx.lenient else API_CHANGE
        self.report(chosen, f"{ctx.label}: {message}", old, new, side=side, **data)

    def schema(
        self, old: Node, new: Node, ctx: Ctx, depth: int = 0, *, properties: bool = True
    ) -> None:
        """Compare two schema nodes (`breaking_schemas.SchemaDiff` implements it)."""
        raise NotImplementedError
