"""migration-check: Alembic revision chains linted statically and proven on a scratch database."""

from __future__ import annotations

from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.verdict import Verdict

DEFAULT_TIMEOUT = 600.0
OPTIONS = ()


def run(ctx: GateContext) -> Verdict:
    raise GateError("migration-check is being built", "use the api module for now")
