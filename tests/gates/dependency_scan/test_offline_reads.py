"""Offline OSV record files are read through `qualgate.fsutil.read_bytes_bounded`: a record
past `offline.MAX_RECORD_BYTES` or not a regular file is listed unreadable, never read."""

from __future__ import annotations

import os
from pathlib import Path

from qualgate.gates.dependency_scan import offline

from . import records


def test_records_past_the_cap_or_not_regular_are_unreadable(osv_db: Path, cache_dir: Path) -> None:
    folder = osv_db / "broken"
    folder.mkdir()
    with (folder / "huge.json").open("wb") as handle:
        handle.truncate(offline.MAX_RECORD_BYTES + 1)  # sparse: no room on disk
    with (folder / "full.json").open("wb") as handle:
        handle.truncate(offline.MAX_RECORD_BYTES)  # at the cap: read (and not JSON)
    os.mkfifo(folder / "pipe.json")
    db = offline.load(osv_db, cache_dir)
    assert db.records == len(records.ALL)
    reasons = dict(db.unreadable)
    assert set(reasons) == {"broken/full.json", "broken/huge.json", "broken/pipe.json"}
    assert not reasons["broken/full.json"].startswith("ReadRefused")
    assert reasons["broken/huge.json"] == (
        f"ReadRefused: {folder / 'huge.json'}: {offline.MAX_RECORD_BYTES + 1} bytes, "
        f"more than the {offline.MAX_RECORD_BYTES} read"
    )
    assert reasons["broken/pipe.json"] == f"ReadRefused: {folder / 'pipe.json'}: not a regular file"
