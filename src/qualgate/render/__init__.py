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
    "agent": "qualgate.render.agent",
    "gitlab": "qualgate.render.gitlab",
    "rdjsonl": "qualgate.render.rdjsonl",
}


# Formats whose output is JSON: defused by escaping, which keeps every value as it is.
_JSON_FORMATS = frozenset({"json", "sarif", "gitlab", "rdjsonl"})


def render(fmt: str, verdict: Verdict) -> str:
    """``verdict`` in format ``fmt`` (a key of `RENDERERS`).

    Whatever the format, the text holds no line the GitHub Actions runner would act on as
    a workflow command (qualgate's output is printed into CI logs), except the github
    format's own annotations.
    """
    from qualgate.render._common import defuse_json, defuse_log_commands

    module = importlib.import_module(RENDERERS[fmt])
    text: str = module.render(verdict)
    if fmt in _JSON_FORMATS:
        return defuse_json(text)
    return defuse_log_commands(text, keep_own=fmt == "github")
