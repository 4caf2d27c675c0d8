"""Fingerprints: a finding's identity that survives unrelated edits (baselines, code scanning)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

from qualgate.fsutil import read_text_bounded
from qualgate.verdict import Finding

# Lines of files larger than this are not read for fingerprints (the line number stands in).
_MAX_FILE = 16 * 1024 * 1024


class _LineCache:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.files: dict[str, list[str] | None] = {}

    def _read(self, path: str) -> list[str] | None:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            return None  # never read outside the project for a fingerprint
        try:
            return read_text_bounded(target, _MAX_FILE, errors="replace").splitlines()
        except (OSError, ValueError):
            return None

    def line(self, path: str, number: int) -> str | None:
        if path not in self.files:
            self.files[path] = self._read(path)
        lines = self.files[path]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def add_fingerprints(gate: str, findings: Sequence[Finding], root: Path) -> tuple[Finding, ...]:
    """Give every finding without one a fingerprint that survives unrelated edits.

    The fingerprint hashes the gate, check, rule, path and the whitespace-folded text
    of the finding's line (not its number, so code moving up or down keeps it), plus
    the occurrence index among otherwise identical findings. Findings without a
    location hash their message instead.
    """
    cache = _LineCache(root)
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        if f.fingerprint:
            out.append(f)
            continue
        anchor: str
        if f.path and f.line:
            text = cache.line(f.path, f.line)
            anchor = " ".join(text.split()) if text is not None else f"line:{f.line}"
        else:
            anchor = f.message
        key = "\0".join((gate, f.check or "", f.rule, f.path or "", anchor))
        index = seen.get(key, 0)
        seen[key] = index + 1
        digest = hashlib.sha256(f"{key}\0{index}".encode()).hexdigest()
        out.append(dataclasses.replace(f, fingerprint=f"sha256:{digest}"))
    return tuple(out)
