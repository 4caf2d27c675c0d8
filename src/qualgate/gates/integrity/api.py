"""What other parts of qualgate may use of the integrity gate: remembering how many tests
ran at an agent session's base, so the test-count guard can compare with it later."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qualgate.gates.integrity.testcount import remember

__all__ = ["remember_tests"]


def remember_tests(
    root: Path, key: str, head: str, verdict_dir: Path, changed: Sequence[Path]
) -> bool:
    """Record the count of the current run-tests verdict under ``key`` (a base commit), when
    it was made at ``head`` and is newer than every file in ``changed``."""
    return remember(root, key, head, verdict_dir, changed)
