"""artifact-validate reads through `qualgate.fsutil.read_bytes_bounded`: past the cap or not a
regular file, an artifact is an ``unreadable`` finding and is never read."""

from __future__ import annotations

import json
import os
from pathlib import Path

from qualgate.fsutil import MAX_READ_BYTES
from qualgate.gates.artifact_validate.documents import MAX_ARTIFACT_BYTES
from tests.support import run_qualgate, write_files

TASK = (
    "---\nid: T-7\ntitle: Add the index\nstatus: todo\n---\n"
    "# Add the index\n\n## Acceptance criteria\n\n- it is fast\n"
)


def sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no room on disk (and is never read whole)."""
    with path.open("wb") as handle:
        handle.truncate(size)


def unreadable(root: Path) -> list[tuple[str, str]]:
    run = run_qualgate("artifact-validate", str(root), "--no-verdict-files")
    return sorted((f["path"], f["message"]) for f in run.findings if f["rule"] == "unreadable")


def test_a_markdown_artifact_past_the_cap_is_not_read(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts/tasks/t.md": TASK})
    sparse(tmp_path / "artifacts" / "tasks" / "huge.md", MAX_ARTIFACT_BYTES + 1)
    sparse(tmp_path / "artifacts" / "tasks" / "full.md", MAX_ARTIFACT_BYTES)
    assert unreadable(tmp_path) == [
        ("artifacts/tasks/huge.md", "not read: larger than 16 MiB"),
    ]


def test_a_structured_file_past_the_cap_or_not_regular_is_not_read(tmp_path: Path) -> None:
    schema = {"type": "object"}
    write_files(
        tmp_path,
        {
            "pyproject.toml": "[tool.qualgate.artifact-validate]\n"
            'schemas = [{glob = "config/*", schema = "schemas/s.json"}]\n',
            "schemas/s.json": json.dumps(schema),
            "config/ok.json": "{}",
        },
    )
    sparse(tmp_path / "config" / "huge.json", MAX_READ_BYTES + 1)
    os.mkfifo(tmp_path / "config" / "pipe.json")
    assert unreadable(tmp_path) == [
        ("config/huge.json", "not read: larger than 64 MiB"),
        ("config/pipe.json", "not read: not a regular file"),
    ]
