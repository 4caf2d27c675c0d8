"""Secrets in what the worker reports are masked by qualgate.redact, once each event is parsed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from qualgate.gates.migration_check.api import run_worker

EVENTS = [
    {"event": "start", "alembic": "1.0", "ms": 41234},
    {
        "event": "failed",
        "step": "upgrade",
        "revision": "0001",
        "message": "no route to postgresql://app:pa%2Fss@db/app with password=hunter22; "
        '"quoted" pa/ss',
    },
]
# Stands in for the project's interpreter: argv is `-c BOOT WORKER REQUEST RESULT`.
FAKE_PYTHON = (
    "#!/bin/sh\ncat > \"$5\" <<'EOF'\n"
    + "".join(json.dumps(e) + "\n" for e in EVENTS)
    + "EOF\necho 'connect postgresql://app:pa%2Fss@db/app failed' >&2\n"
)


def test_worker_events_are_masked_after_parsing(tmp_path: Path) -> None:
    python = tmp_path / "python"
    python.write_text(FAKE_PYTHON, encoding="utf-8")
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    result = run_worker(
        tmp_path,
        python=str(python),
        url="sqlite://",
        steps=("upgrade",),
        timeout=30,
        secrets=("pa/ss", "123"),
    )
    # A secret that is also a run of digits does not cut a number (or drop the event).
    assert result.started == {"event": "start", "alembic": "1.0", "ms": 41234}
    outcome = result.outcome
    assert outcome is not None
    assert outcome["message"] == (
        'no route to postgresql://app:***@db/app with password=***; "quoted" ***'
    )
    assert "pa%2Fss" not in result.stderr and "postgresql://app:***@db" in result.stderr
