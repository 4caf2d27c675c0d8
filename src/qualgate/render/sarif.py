"""``--format sarif``: SARIF 2.1.0 as GitHub code scanning ingests it.

One run per verdict, with ``automationDetails.id = "qualgate/<gate>/"`` so each gate is
its own analysis category and several gates can be uploaded for the same commit side
by side. Rules are collected from the findings (id, a name, descriptions, help text,
``helpUri`` when the finding's help is a URL, the default level). Results carry the
rule, level, message, a physical location relative to ``%SRCROOT%`` (the repository
root, so projects in a monorepo sub-folder still point at the right files) and our
fingerprint as a partial fingerprint.

GitHub rejects the *whole* upload when one result has no location with an
``artifactLocation.uri`` ("locationFromSarifResult: expected at least one location"),
and a URI must be a valid URI reference. A finding about the whole project (no
path) is therefore anchored at the project's ``pyproject.toml`` (or its other build
file), the file where its gates are configured, without a region; its
``properties.projectLevel`` says so.

Security findings carry ``properties.security-severity`` (a CVSS-like score as a string)
and the ``security`` tag on their rule, which is what GitHub reads to rank an alert as
critical/high/medium/low: known-vulnerable dependencies (each advisory is its own rule,
``vulnerable-dependency/<advisory id>``, because GitHub takes the severity from the rule,
not the result) and hard-coded secrets (`security_severity`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from qualgate.gates import GATES, catalogue_of
from qualgate.render._common import SEVERITY_RANK, RepoRoot, one_line, repo_root
from qualgate.rules import Rule
from qualgate.verdict import Finding, Severity, Status, Verdict

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://qualgate.dev"
FINGERPRINT_KEY = "qualgate/v1"
# GitHub refuses a run with more results than this; the rest are counted in a notification.
MAX_RESULTS = 25_000
# Where a finding without a path is anchored, in order of preference.
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "qualgate.toml")
_URL = re.compile(r"^https?://\S+$")
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}

# GitHub's bands for ``security-severity``: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium,
# 0.1-3.9 low. An advisory known only by its label gets a score inside its band.
LABEL_SCORES = {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 2.0}
VULNERABLE = ("dependency-scan", "vulnerable-dependency")
# Hard-coded credentials, whichever gate reports them: ruff's (bandit's) hard-coded
# password rules. A gate with its own secret rule says so with a numeric
# ``data["security_severity"]`` on the finding.
SECRET_RULES: dict[str, float] = {
    "S105": 7.5,
    "S106": 7.5,
    "S107": 7.5,
    "B105": 7.5,
    "B106": 7.5,
    "B107": 7.5,
}


@functools.lru_cache(maxsize=4096)  # many findings share a file
def uri(path: str) -> str:
    """A relative path as a URI reference (spaces, ``%``, ``#``, ``?`` percent-encoded)."""
    return quote(path, safe="/!$&'()*+,;=:@-._~")


def _pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", text) if w)


def _rule_name(rule: str, help_text: str | None, origin: str = "") -> str:
    """A readable PascalCase name, from the help URL's last segment when there is one.

    SARIF wants the name to differ from the id (SARIF1001): a name that would only
    repeat the id (``E501``) is prefixed with where the rule comes from (``RuffCheckE501``).
    """
    source = rule
    if help_text and _URL.match(help_text):
        slug = help_text.rstrip("/").rsplit("/", 1)[-1].split("#")[0].split("?")[0]
        source = re.sub(r"\.(html?|md)$", "", slug) or rule
    name = _pascal(source) or "Rule"
    if name.lower() == rule.lower():
        name = _pascal(f"{origin or 'qualgate'} {name}")
    return name


def owner(gate: str, f: Finding) -> str:
    """The gate that reported ``f`` (in an ``all`` verdict, the first part of its check)."""
    return (f.check or "").split("/", 1)[0] if gate == "all" else gate


def _catalogued(gate: str, f: Finding) -> Rule | None:
    """The catalogue entry of a finding's rule."""
    reporter = owner(gate, f)
    if reporter not in GATES:
        return None
    cat = catalogue_of(reporter)
    return cat.get(f.rule) if cat is not None else None


def _advisory(gate: str, f: Finding) -> str | None:
    """The advisory id of a known-vulnerable-dependency finding."""
    if (owner(gate, f), f.rule) != VULNERABLE:
        return None
    advisory = f.data.get("id")
    return advisory if isinstance(advisory, str) and advisory else None


def security_severity(gate: str, f: Finding) -> float | None:
    """How bad a security finding is, 0.0-10.0 (None for findings that are not security)."""
    declared = f.data.get("security_severity")
    if isinstance(declared, (int, float)) and not isinstance(declared, bool):
        return min(max(float(declared), 0.0), 10.0)
    if _advisory(gate, f) is not None:
        score = f.data.get("score")
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            return min(max(float(score), 0.0), 10.0)
        label = f.data.get("severity")
        return LABEL_SCORES.get(label) if isinstance(label, str) else None
    known = _catalogued(gate, f)
    if known is not None and known.security_severity is not None:
        return known.security_severity
    return SECRET_RULES.get(f.rule)


def rule_id(gate: str, f: Finding) -> str:
    """The SARIF rule of a finding: its rule, or ``vulnerable-dependency/<advisory>``."""
    advisory = _advisory(gate, f)
    return f"{f.rule}/{advisory}" if advisory else f.rule


def _security(gate: str, group: list[Finding]) -> dict[str, Any]:
    """The rule properties GitHub reads for security alerts (empty for other rules)."""
    scores = [s for s in (security_severity(gate, f) for f in group) if s is not None]
    advisory = _advisory(gate, group[0]) is not None
    if not scores and not advisory:
        return {}
    # An advisory without a score is still a security alert, only unranked.
    properties: dict[str, Any] = {
        "tags": ["security", "vulnerability" if advisory else "secret"],
        "precision": "very-high" if advisory else "high",
    }
    if scores:
        properties["security-severity"] = f"{max(scores):.1f}"
    return properties


def _rules(
    findings: Iterable[Finding], gate: str = ""
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(rule_id(gate, f), []).append(f)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for sarif_id, group in by_rule.items():
        first = group[0]
        base_id = first.rule
        help_url = next((f.help for f in group if f.help and _URL.match(f.help)), None)
        help_line = next((f.help for f in group if f.help and not _URL.match(f.help)), None)
        data = first.data
        short = str(
            data.get("rule_description") or data.get("rule_name") or one_line(first.message)
        )
        checks = sorted({f.check for f in group if f.check})
        full = short if not checks else f"{short} (reported by {', '.join(checks)})"
        help_text = help_line or (f"See {help_url}" if help_url else short)
        name_source = str(data.get("rule_name") or base_id)
        known = _catalogued(gate, first)
        if known is not None:
            # The one source of rule metadata: the gate's catalogue.
            short = known.rationale
            full = short if not checks else f"{short} (reported by {', '.join(checks)})"
            help_text = known.fix or known.rationale
            help_url = help_url or known.url
            help_line = help_text
            name_source = base_id
        security = _security(gate, group)
        if sarif_id != base_id:
            # One rule per advisory: what the advisory is about comes first.
            summary = one_line(str(data.get("summary") or data.get("id") or short))
            short = f"{data.get('package', '')}: {summary}".lstrip(": ")[:1024]
            full = f"{short}. {known.rationale if known else ''}".strip()
        level = min((f.severity for f in group), key=SEVERITY_RANK.__getitem__)
        rule: dict[str, Any] = {
            "id": sarif_id,
            "name": _rule_name(name_source, None if known else help_url, first.check or ""),
            "shortDescription": {"text": short[:1024]},
            "fullDescription": {"text": full},
            "help": {"text": help_text},
            "defaultConfiguration": {"level": _LEVEL[level]},
            "properties": {"tags": ["qualgate", *checks]},
        }
        if security:
            rule["properties"]["tags"] += security.pop("tags")
            rule["properties"].update(security)
        if help_url:
            rule["helpUri"] = help_url
            rule["help"]["markdown"] = f"{help_line or short}\n\n[Rule documentation]({help_url})"
        index[sarif_id] = len(rules)
        rules.append(rule)
    return rules, index


def _region(f: Finding) -> dict[str, int] | None:
    if not f.line:
        return None
    region = {"startLine": f.line}
    end_line = f.end_line if f.end_line and f.end_line >= f.line else None
    if end_line is not None:
        region["endLine"] = end_line
    if f.column:
        region["startColumn"] = f.column
        same_line = end_line is None or end_line == f.line
        if f.end_column and (not same_line or f.end_column >= f.column):
            region["endColumn"] = f.end_column
    return region


def project_file(verdict: Verdict) -> str:
    project = Path(verdict.project.root or ".")
    for name in PROJECT_FILES:
        try:
            if (project / name).is_file():
                return name
        except OSError:  # pragma: no cover - unreadable folder
            break
    return PROJECT_FILES[0]


def _result(
    f: Finding, rule: tuple[str, int], root: RepoRoot, anchor: str, base: str | None
) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": uri(root.prefix + (f.path or anchor))}}
    location["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    # No line: no region. SARIF makes it optional (a file-level result) and an invented
    # line 1 would point readers at the wrong code.
    region = _region(f) if f.path else None
    if region:
        location["region"] = region
    properties: dict[str, Any] = {"fixable": f.fixable, "existing": f.existing}
    if f.check:
        properties["check"] = f.check
    if not f.path:
        properties["projectLevel"] = True
    if f.data:
        properties["data"] = json.loads(json.dumps(dict(f.data), default=str))
    result: dict[str, Any] = {
        "ruleId": rule[0],
        "ruleIndex": rule[1],
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": location}],
        "properties": properties,
    }
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint.removeprefix("sha256:")}
    if f.existing:
        result["baselineState"] = "unchanged"
    elif base:
        result["baselineState"] = "new"
    return result


def _times(verdict: Verdict) -> dict[str, str]:
    try:
        start = dt.datetime.strptime(verdict.started_at, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        try:
            start = dt.datetime.strptime(verdict.started_at, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return {}
    end = start + dt.timedelta(milliseconds=verdict.duration_ms)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return {"startTimeUtc": start.strftime(fmt), "endTimeUtc": end.strftime(fmt)}


def _notification(level: str, text: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": text}}


def _invocation(verdict: Verdict, dropped: int) -> dict[str, Any]:
    notes: list[dict[str, Any]] = []
    if verdict.status is Status.ERROR:
        notes.append(_notification("error", "\n".join((verdict.summary, *verdict.next_steps))))
    if verdict.status is Status.SKIPPED:
        notes.append(_notification("note", f"skipped: {verdict.summary}"))
    for check in verdict.checks:
        if check.status is Status.ERROR:
            notes.append(_notification("error", f"{check.name}: {check.summary or 'errored'}"))
    if dropped:
        notes.append(
            _notification(
                "warning",
                f"{dropped} results were left out: GitHub accepts at most {MAX_RESULTS} per run",
            )
        )
    invocation: dict[str, Any] = {
        "executionSuccessful": verdict.status is not Status.ERROR,
        "exitCode": verdict.exit_code,
        **_times(verdict),
        "properties": {
            "status": verdict.status.value,
            "summary": verdict.summary,
            "checks": [
                {"name": c.name, "status": c.status.value, "findings": c.findings}
                | ({"toolVersion": c.tool_version} if c.tool_version else {})
                for c in verdict.checks
            ],
            "thresholds": [
                {"name": t.name, "actual": t.actual, "ok": t.ok}
                | ({"min": t.min} if t.min is not None else {})
                | ({"max": t.max} if t.max is not None else {})
                for t in verdict.thresholds
            ],
        },
    }
    if verdict.reproduce:
        invocation["commandLine"] = verdict.reproduce
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def to_sarif(verdict: Verdict) -> dict[str, Any]:
    """The SARIF log of one verdict, as a JSON-ready dict."""
    # Keep the results GitHub would keep: blocking first, then by severity.
    ordered = sorted(verdict.findings, key=lambda f: (f.existing, SEVERITY_RANK[f.severity]))
    kept = ordered[:MAX_RESULTS]
    kept_ids = {id(f) for f in kept}
    findings = [f for f in verdict.findings if id(f) in kept_ids]
    rules, index = _rules(findings, verdict.gate)
    root = repo_root(verdict) if findings else RepoRoot()
    anchor = project_file(verdict) if any(not f.path for f in findings) else ""
    driver: dict[str, Any] = {
        "name": "qualgate",
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    if verdict.tool.version:
        driver["version"] = verdict.tool.version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"qualgate/{verdict.gate}/"},
        "invocations": [_invocation(verdict, len(ordered) - len(kept))],
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(f, (rid, index[rid]), root, anchor, verdict.project.base)
            for f in findings
            for rid in (rule_id(verdict.gate, f),)
        ],
        "properties": {"gate": verdict.gate},
    }
    if root.path is not None:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": root.path.as_uri().rstrip("/") + "/"}}
    if verdict.project.commit:
        run["properties"]["commit"] = verdict.project.commit
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(verdict: Verdict) -> str:
    # Compact: SARIF is read by machines, json's C encoder only runs without indent
    # (10x faster on large logs), and GitHub caps uploads at 10 MB compressed.
    return json.dumps(to_sarif(verdict), ensure_ascii=False, separators=(",", ":")) + "\n"
