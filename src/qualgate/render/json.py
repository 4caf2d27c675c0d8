"""``--format json``: exactly one verdict document."""

from __future__ import annotations

from qualgate.verdict import Verdict, to_json


def render(verdict: Verdict) -> str:
    return to_json(verdict)
