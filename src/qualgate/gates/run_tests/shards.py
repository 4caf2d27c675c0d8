"""``--shard K/N`` specs and the recorded test durations that balance the slices.

The slicing itself happens inside pytest (our plugin, after collection), because only
pytest knows the collected tests; this module parses the spec, names the per-shard
files, and keeps ``.qualgate/durations.json`` up to date.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from qualgate.fsutil import write_atomic

DURATIONS_FILE = ".qualgate/durations.json"
COVERAGE_DIR = ".qualgate/coverage"
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, kw_only=True, slots=True)
class Shard:
    index: int
    count: int

    @property
    def label(self) -> str:
        return f"shard-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(value: str) -> str:
    """Option validator: ``K/N`` with 1 <= K <= N."""
    match = _SPEC.match(value)
    if not match:
        raise ValueError(f"expects K/N (e.g. 1/4), got {value!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"expects K/N with 1 <= K <= N, got {value!r}")
    return f"{index}/{count}"


def shard_of(value: str | None) -> Shard | None:
    if not value:
        return None
    index, count = (int(x) for x in parse_shard(value).split("/"))
    return Shard(index=index, count=count)


def read_durations(root: Path) -> dict[str, float]:
    try:
        data = json.loads((root / DURATIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(tests, dict):
        return {}
    return {str(k): float(v) for k, v in tests.items() if isinstance(v, (int, float))}


def write_durations(root: Path, durations: Mapping[str, float], *, replace: bool) -> None:
    """Record test durations (seconds). ``replace`` drops tests that no longer ran."""
    merged = {} if replace else read_durations(root)
    merged.update({k: round(v, 4) for k, v in durations.items()})
    document = {"version": 1, "tests": dict(sorted(merged.items()))}
    write_atomic(root / DURATIONS_FILE, json.dumps(document, indent=1) + "\n")
