"""OSV records the tests write, shaped like the real ones (PYSEC from PyPA, GHSA, npm)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

PYYAML_PYSEC_2021_142: dict[str, Any] = {
    "id": "PYSEC-2021-142",
    "details": "A vulnerability was discovered in the PyYAML library in versions before 5.4, "
    "where it is susceptible to arbitrary code execution.",
    "aliases": ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"],
    "modified": "2021-08-27T03:22:18.117374Z",
    "published": "2021-02-09T21:15:00Z",
    "affected": [
        {
            "package": {"name": "pyyaml", "ecosystem": "PyPI", "purl": "pkg:pypi/pyyaml"},
            # Events deliberately out of order: matching must sort them.
            "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "5.4"}, {"introduced": "0"}]}],
            "versions": ["5.3", "5.3.1"],
        }
    ],
}
# The GHSA twin of the same issue: same CVE, carries a CVSS vector.
PYYAML_GHSA: dict[str, Any] = {
    "id": "GHSA-8q59-q68h-6hv4",
    "summary": "Improper Input Validation in PyYAML",
    "details": "A vulnerability was discovered in the PyYAML library in versions before 5.4.",
    "aliases": ["CVE-2020-14343"],
    "modified": "2023-11-08T03:59:17Z",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "PyYAML"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.4"}]}],
        }
    ],
    "database_specific": {"severity": "CRITICAL", "github_reviewed": True},
}
PYYAML_PYSEC_2020_96: dict[str, Any] = {
    "id": "PYSEC-2020-96",
    "details": "A vulnerability was discovered in the PyYAML library in versions before 5.3.1.",
    "aliases": ["CVE-2020-1747", "GHSA-6757-jp84-gxfx"],
    "modified": "2021-07-05T00:01:25.530537Z",
    "affected": [
        {
            "package": {"name": "pyyaml", "ecosystem": "PyPI"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "5.1b7"}, {"fixed": "5.3.1"}]}
            ],
        }
    ],
}
# Two ranges, one with last_affected, and a medium CVSS score.
JINJA2_RECORD: dict[str, Any] = {
    "id": "PYSEC-2099-1",
    "summary": "Sandbox escape in Jinja2",
    "modified": "2024-01-01T00:00:00Z",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"}],
    "affected": [
        {
            "package": {"name": "Jinja2", "ecosystem": "PyPI"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}, {"fixed": "3.1.3"}]},
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "2.0"}, {"last_affected": "2.11.3"}],
                },
            ],
        }
    ],
}
WITHDRAWN: dict[str, Any] = {
    "id": "PYSEC-2099-2",
    "summary": "Withdrawn: not a vulnerability",
    "modified": "2024-01-01T00:00:00Z",
    "withdrawn": "2024-02-01T00:00:00Z",
    "affected": [
        {
            "package": {"name": "requests", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}
LODASH: dict[str, Any] = {
    "id": "GHSA-35jh-r3h4-6jhm",
    "summary": "Command Injection in lodash",
    "aliases": ["CVE-2021-23337"],
    "modified": "2024-02-01T00:00:00Z",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "npm", "name": "lodash"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}],
        }
    ],
    "database_specific": {"severity": "HIGH"},
}
LOW_SEVERITY: dict[str, Any] = {
    "id": "GHSA-low0-0000-0000",
    "summary": "A low severity issue in idna",
    "modified": "2024-01-01T00:00:00Z",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "idna"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.7"}]}],
        }
    ],
}

ALL = [
    PYYAML_PYSEC_2021_142,
    PYYAML_GHSA,
    PYYAML_PYSEC_2020_96,
    JINJA2_RECORD,
    WITHDRAWN,
    LODASH,
    LOW_SEVERITY,
]


def write_db(root: Path, records: list[dict[str, Any]] | None = None) -> Path:
    """Write records as a nested OSV folder: PYSEC as YAML (like PyPA), others as JSON."""
    for record in ALL if records is None else records:
        package = record["affected"][0]["package"]["name"].lower()
        folder = root / package
        folder.mkdir(parents=True, exist_ok=True)
        if record["id"].startswith("PYSEC"):
            (folder / f"{record['id']}.yaml").write_text(
                yaml.safe_dump(record, sort_keys=False), encoding="utf-8"
            )
        else:
            (folder / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return root


def by_id(records: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in (ALL if records is None else records)}
