"""CVSS v3.0/v3.1 base scores from vectors, and the qualitative severity they map to.

The base-score equations of the CVSS v3.1 specification (section 7), with its ``Roundup``.
Records with only a CVSS v4 (or v2) vector fall back to the record's own severity label
(GHSA's ``database_specific.severity``) or to "unknown"; no score is guessed.
"""

from __future__ import annotations

import math

LEVELS = ("low", "medium", "high", "critical")

_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_PR = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}


def _roundup(value: float) -> float:
    """CVSS v3.1 Roundup: the smallest one-decimal number >= value, without float noise."""
    integer = round(value * 100000)
    if integer % 10000 == 0:
        return integer / 100000.0
    return (math.floor(integer / 10000) + 1) / 10.0


def base_score(vector: str) -> float | None:
    """Base score of a ``CVSS:3.x/...`` vector, or None when it is not a valid v3 vector."""
    parts = vector.strip().split("/")
    if not parts or parts[0] not in ("CVSS:3.0", "CVSS:3.1"):
        return None
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        if not sep:
            return None
        metrics[key] = value
    try:
        scope = metrics["S"]
        if scope not in _PR:
            return None
        av, ac, ui = (_WEIGHTS[k][metrics[k]] for k in ("AV", "AC", "UI"))
        pr = _PR[scope][metrics["PR"]]
        c, i, a = (_WEIGHTS[k][metrics[k]] for k in ("C", "I", "A"))
    except KeyError:
        return None
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    if scope == "U":  # noqa: SIM108 - the two equations as the specification writes them
        impact = 6.42 * iss
    else:
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    exploitability = 8.22 * av * ac * pr * ui
    if impact <= 0:
        return 0.0
    if scope == "U":
        return _roundup(min(impact + exploitability, 10))
    return _roundup(min(1.08 * (impact + exploitability), 10))


def level(score: float) -> str | None:
    """Qualitative rating of a score (CVSS v3.1 table 14); None for 0.0."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0.0:
        return "low"
    return None


def severity_of(
    scores: tuple[tuple[str, str], ...], label: str | None
) -> tuple[str, float | None, str | None]:
    """(level or "unknown", score, vector) from an OSV ``severity`` list and a label."""
    best: tuple[float, str] | None = None
    for kind, vector in scores:
        if kind != "CVSS_V3":
            continue
        score = base_score(vector)
        if score is not None and (best is None or score > best[0]):
            best = (score, vector)
    if best is not None:
        return level(best[0]) or "low", best[0], best[1]
    if label and label.lower() in LEVELS:
        return label.lower(), None, None
    if label and label.lower() == "moderate":
        return "medium", None, None
    return "unknown", None, None
