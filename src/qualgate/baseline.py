"""The baseline of known findings: a committed file that lets a project adopt a gate today
and only ever get better (a ratchet).

``qualgate baseline write`` records the fingerprint of every error finding of each gate;
later runs mark the findings whose fingerprint is recorded as ``existing`` (reported,
deciding nothing) and fail on any other, wherever it is, even on a line nobody touched
(unlike ``--base``, which judges changed lines only). ``qualgate baseline check`` fails
while the file holds findings that no longer occur, so the file only shrinks: rewrite
it after a fix.

The file (``.qualgate/baseline.json`` unless ``[tool.qualgate] baseline`` says
otherwise) maps each gate to its fingerprints, each with the rule, path and message it
was recorded for, so a review of the file reads like a list of findings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate.errors import GateError
from qualgate.fsutil import read_text_bounded
from qualgate.policy import mark_baselined
from qualgate.verdict import Finding, Severity, Status, Verdict

FORMAT = 1
_MAX_BYTES = 32 * 1024 * 1024
_MESSAGE_CHARS = 200

# A gate's entries: fingerprint -> what the finding was when it was recorded.
Entries = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Baseline:
    gates: Mapping[str, Entries] = field(default_factory=dict)

    def of(self, gate: str) -> Entries:
        return self.gates.get(gate, {})

    def count(self) -> int:
        return sum(len(e) for e in self.gates.values())


def load(path: Path) -> Baseline | None:
    """The baseline at ``path``; None when there is none; `GateError` when unreadable."""
    try:
        text = read_text_bounded(path, _MAX_BYTES)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(
            f"baseline {path.name} cannot be read: {exc}",
            "make it a regular file, or rewrite it with `qualgate baseline write`",
        ) from exc
    try:
        document = json.loads(text)
        if document.get("format") != FORMAT or not isinstance(document.get("gates"), dict):
            raise ValueError(f"expected format {FORMAT} with a `gates` table")
        gates = {
            str(gate): {str(fp): dict(entry) for fp, entry in entries.items()}
            for gate, entries in document["gates"].items()
        }
    except (ValueError, AttributeError, TypeError) as exc:
        raise GateError(
            f"baseline {path.name} is not a qualgate baseline: {exc}",
            "rewrite it with `qualgate baseline write`",
        ) from exc
    return Baseline(gates=gates)


def recordable(finding: Finding) -> bool:
    """Error findings decide a gate; only they are recorded (fingerprints make them so)."""
    return finding.severity is Severity.ERROR and finding.fingerprint is not None


def record(verdicts: Iterable[Verdict], previous: Baseline | None) -> Baseline:
    """Today's error findings of each gate that answered; a gate that errored keeps its
    previous entries (its findings are unknown, not gone)."""
    gates: dict[str, Entries] = dict(previous.gates) if previous is not None else {}
    for verdict in verdicts:
        if verdict.status is Status.ERROR:
            continue
        entries = {
            str(f.fingerprint): _describe(f)
            for f in sorted(verdict.findings, key=_order)
            if recordable(f)
        }
        if entries:
            gates[verdict.gate] = entries
        else:
            gates.pop(verdict.gate, None)
    return Baseline(gates=dict(sorted(gates.items())))


def _order(f: Finding) -> tuple[str, int, str]:
    return (f.path or "", f.line or 0, f.rule)


def _describe(f: Finding) -> dict[str, Any]:
    entry: dict[str, Any] = {"rule": f.rule}
    if f.path:
        entry["path"] = f.path
    message = " ".join(f.message.split())
    entry["message"] = message[:_MESSAGE_CHARS]
    return entry


def dumps(baseline: Baseline) -> str:
    document = {"format": FORMAT, "gates": baseline.gates}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def apply(verdict: Verdict, baseline: Baseline | None) -> Verdict:
    """Mark the verdict's baselined findings existing (see `policy.mark_baselined`)."""
    if baseline is None or verdict.status is Status.ERROR:
        return verdict
    entries = baseline.of(verdict.gate)
    if not entries:
        return verdict
    return mark_baselined(verdict, entries.keys())


@dataclass(frozen=True, kw_only=True, slots=True)
class Stale:
    """A recorded finding that no longer occurs."""

    gate: str
    fingerprint: str
    entry: Mapping[str, Any]


def stale(baseline: Baseline, verdicts: Iterable[Verdict]) -> list[Stale]:
    """Entries of the gates that answered whose finding is gone (fixed, or its code moved)."""
    out = []
    for verdict in verdicts:
        if verdict.status is Status.ERROR:
            continue
        present = {f.fingerprint for f in verdict.findings if f.fingerprint}
        for fp, entry in baseline.of(verdict.gate).items():
            if fp not in present:
                out.append(Stale(gate=verdict.gate, fingerprint=fp, entry=entry))
    return out
