"""Bringing a database to the project's schema: Alembic migrations, else ``--metadata``.

Both run in the project's interpreter, because both import the project's code (``env.py``,
the models module) and so need the project's packages: Alembic through migration-check's
worker (`qualgate.gates.migration_check.api.upgrade_to_head`), the metadata through
``inproject/metadata_worker.py``, which calls ``MetaData.create_all`` there.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy.engine import URL

from qualgate import process
from qualgate.errors import GateError
from qualgate.gates.seed.safety import secrets_of
from qualgate.redact import mask
from qualgate.verdict import Check, Status

WORKER = Path(__file__).with_name("inproject") / "metadata_worker.py"


def build(
    root: Path,
    url: URL,
    *,
    python: str,
    timeout: float,
    ini: str,
    metadata: str | None,
    drivers: tuple[str, ...] = (),
) -> Check:
    """Migrate ``url`` to head, or create ``metadata`` on it. Raises `GateError` on failure.

    ``url`` may name no driver: the project's interpreter picks one it has (``drivers``,
    those the project's files name, first).
    """
    from qualgate.gates.migration_check import api

    started = time.monotonic()
    raw = url.render_as_string(hide_password=False)
    if api.has_alembic(root, ini):
        api.upgrade_to_head(root, raw, python=python, timeout=timeout, ini=ini, drivers=drivers)
        return Check(
            name="schema",
            status=Status.PASS,
            duration_ms=int((time.monotonic() - started) * 1000),
            summary=f"alembic upgrade head ({ini}, run by migration-check's worker)",
        )
    if metadata is None:
        raise GateError(
            f"no schema to seed: there is no {ini} and no --metadata",
            "pass --metadata MODULE:ATTR (e.g. myapp.models:Base), or add Alembic migrations",
        )
    argv = (python, str(WORKER), metadata)
    done = process.run(
        argv,
        cwd=root,
        timeout=timeout,
        env={
            "QUALGATE_SEED_URL": raw,
            "QUALGATE_SEED_DRIVERS": ",".join(drivers),
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    )
    report: dict[str, object] = {}
    for line in reversed(done.stdout.splitlines()):
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            report = parsed
            break
    if done.returncode != 0 or not report.get("ok"):
        reason = report.get("error") or (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(
            f"--metadata {metadata}: {mask(str(reason), secrets_of(url))}",
            "check the module:attribute and that the project's interpreter "
            f"({python}) can import it",
        )
    tables = report.get("tables")
    count = len(tables) if isinstance(tables, list) else 0
    return Check(
        name="schema",
        status=Status.PASS,
        duration_ms=done.duration_ms,
        command=argv,
        summary=f"created {count} tables from {metadata}",
    )
