"""Renderers: one module per output format, each exposing ``render(verdict) -> str`` and
optionally ``publish(verdict, environ)``, a hook the pipeline runs when the format is used
(the github renderer appends the step summary there).

The registry drives ``--format`` and ``--report`` choices; modules load on demand.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qualgate.verdict import Verdict

RENDERERS: dict[str, str] = {
    "text": "qualgate.render.text",
    "json": "qualgate.render.json",
    "sarif": "qualgate.render.sarif",
    "junit": "qualgate.render.junit",
    "github": "qualgate.render.github",
    "markdown": "qualgate.render.markdown",
}


def render(fmt: str, verdict: Verdict) -> str:
    """``verdict`` in format ``fmt`` (a key of `RENDERERS`)."""
    module = importlib.import_module(RENDERERS[fmt])
    text: str = module.render(verdict)
    return text
