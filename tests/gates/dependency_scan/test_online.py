"""Online mode against a real OSV API on 127.0.0.1: answers, cache, retries and failures.

Whatever goes wrong with the service, the gate must answer ``error`` (exit 2) and say how
many dependencies could not be checked; it must never answer ``pass``.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from qualgate.gates.dependency_scan import osv
from tests.support import run_qualgate, write_files

from . import records
from .osv_server import Behaviour, osv_server

FAST = {"QUALGATE_OSV_BACKOFF": "0.01"}


def project(tmp_path: Path) -> Path:
    lock = {
        "lockfileVersion": 3,
        "packages": {"": {}, "node_modules/lodash": {"version": "4.17.20", "license": "MIT"}},
    }
    return write_files(
        tmp_path / "p",
        {
            "requirements.txt": "pyyaml==5.3\nidna==3.7\nrequests==2.0.0\n",
            "package-lock.json": json.dumps(lock, indent=2),
        },
    )


def scan(root: Path, url: str, cache: Path, *args: str) -> Any:
    return run_qualgate(
        "dependency-scan", str(root), "--osv-url", url, "--cache-dir", str(cache), *args, env=FAST
    )


def vuln_ids(run: Any) -> list[tuple[str, str]]:
    return [
        (f["data"]["package"], f["data"]["id"])
        for f in run.findings
        if f["rule"] == "vulnerable-dependency"
    ]


def test_online_findings_and_record_cache(tmp_path: Path) -> None:
    root = project(tmp_path)
    with osv_server(records.by_id()) as (url, behaviour):
        first = scan(root, url, tmp_path / "cache")
        assert first.code == 1, first.stdout
        assert vuln_ids(first) == [
            ("pyyaml", "GHSA-8q59-q68h-6hv4"),
            ("pyyaml", "PYSEC-2020-96"),
            ("lodash", "GHSA-35jh-r3h4-6jhm"),
        ]
        assert first.verdict["metrics"]["vuln_source"] == f"OSV API {url}"
        gets = [r for r in behaviour.requests if r.startswith("GET")]
        # Three pyyaml records, one lodash, and the withdrawn requests record (the service
        # lists it; the gate reads it and leaves it out).
        assert len(gets) == 5
        assert not [f for f in first.findings if "requests" in f["message"]]
        assert "upgrade pyyaml 5.3 -> 5.4 (requirements.txt:1)" in first.verdict["next_steps"]
        assert (
            "upgrade lodash 4.17.20 -> 4.17.21 (package-lock.json:5)" in first.verdict["next_steps"]
        )
        behaviour.requests.clear()
        second = scan(root, url, tmp_path / "cache")
        assert second.findings == first.findings
        # Unchanged records come from the cache: only the batch query goes out.
        assert behaviour.requests == ["POST /v1/querybatch"]


def test_large_scans_are_split_into_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(osv, "BATCH_LIMIT", 3)
    root = project(tmp_path)
    with osv_server(records.by_id()) as (url, behaviour):
        run = scan(root, url, tmp_path / "cache")
    assert run.code == 1
    assert len(vuln_ids(run)) == 3
    assert behaviour.requests.count("POST /v1/querybatch") == 2


def test_transient_5xx_is_retried(tmp_path: Path) -> None:
    root = project(tmp_path)
    with osv_server(records.by_id(), Behaviour(fail_times=2)) as (url, behaviour):
        run = scan(root, url, tmp_path / "cache")
    assert run.code == 1
    assert len(vuln_ids(run)) == 3
    assert behaviour.requests[:3] == ["POST /v1/querybatch"] * 3


def test_persistent_5xx_is_an_error_never_a_pass(tmp_path: Path) -> None:
    root = project(tmp_path)
    with osv_server(records.by_id(), Behaviour(fail_times=100)) as (url, behaviour):
        run = scan(root, url, tmp_path / "cache", "--retries", "2")
    assert run.code == 2
    assert run.verdict["status"] == "error"
    assert run.verdict["summary"].startswith(
        f"4 of 4 pinned dependencies could not be checked (HTTP 503 from {url}/v1/querybatch)"
    )
    assert run.verdict["metrics"]["unchecked_count"] == 4
    assert behaviour.requests == ["POST /v1/querybatch"] * 3
    assert "--vuln-db" in run.verdict["next_steps"][0]


def test_client_errors_are_not_retried(tmp_path: Path) -> None:
    root = project(tmp_path)
    with osv_server(records.by_id(), Behaviour(fail_times=1, fail_status=400)) as (url, behaviour):
        run = scan(root, url, tmp_path / "cache")
    assert run.code == 2
    assert "HTTP 400" in run.verdict["summary"]
    assert behaviour.requests == ["POST /v1/querybatch"]


def test_malformed_answers_are_errors(tmp_path: Path) -> None:
    root = project(tmp_path)
    with osv_server(records.by_id(), Behaviour(malformed=True)) as (url, _):
        run = scan(root, url, tmp_path / "cache", "--retries", "1")
    assert run.code == 2
    assert "malformed JSON" in run.verdict["summary"]
    with osv_server(records.by_id(), Behaviour(malformed_shape=True)) as (url, _):
        run = scan(root, url, tmp_path / "cache", "--retries", "0")
    assert run.code == 2
    assert "expected 4 results" in run.verdict["summary"]


def test_slow_service_times_out_into_an_error(tmp_path: Path) -> None:
    root = project(tmp_path)
    with osv_server(records.by_id(), Behaviour(delay=2.0)) as (url, _):
        run = scan(root, url, tmp_path / "cache", "--network-timeout", "0.3", "--retries", "1")
    assert run.code == 2
    assert "could not be checked" in run.verdict["summary"]
    assert run.verdict["duration_ms"] < 5000


def test_unreachable_service_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now: connection refused, as on a machine without network.
    run = scan(project(tmp_path), f"http://127.0.0.1:{port}", tmp_path / "cache", "--retries", "1")
    assert run.code == 2
    assert "could not be checked (cannot reach" in run.verdict["summary"]
    assert run.verdict["metrics"]["checked"] == 0


def test_paginated_answers_are_followed(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"requirements.txt": "pyyaml==5.3\n"})
    with osv_server(records.by_id(), Behaviour(page_size=1)) as (url, behaviour):
        run = scan(root, url, tmp_path / "cache")
    assert [i for _, i in vuln_ids(run)] == ["GHSA-8q59-q68h-6hv4", "PYSEC-2020-96"]
    assert behaviour.requests.count("POST /v1/querybatch") == 3


def test_a_record_that_cannot_be_fetched_leaves_its_dependency_unchecked(tmp_path: Path) -> None:
    root = project(tmp_path)
    hidden = Behaviour(hidden={"PYSEC-2020-96"})
    with osv_server(records.by_id(), hidden) as (url, _):
        run = scan(root, url, tmp_path / "cache", "--retries", "0")
    assert run.code == 2
    assert run.verdict["summary"].startswith("1 of 4 pinned dependencies could not be checked")
    assert "PYSEC-2020-96" in run.verdict["summary"]
    assert run.verdict["metrics"]["unchecked"] == ["pyyaml==5.3"]


def test_bad_osv_url_is_a_usage_error(tmp_path: Path) -> None:
    run = run_qualgate("dependency-scan", str(project(tmp_path)), "--osv-url", "ftp://x")
    assert run.code == 2


def test_credentials_in_the_osv_url_are_masked(tmp_path: Path) -> None:
    def shown(url: str) -> str:
        # The client shows its URL through the shared masking (qualgate.redact).
        client = osv.OsvClient(url, cache_dir=None, timeout=1, retries=0, deadline=lambda: 1.0)
        return client.shown

    assert shown("https://u:s3cret@mirror.example:8443/osv") == (
        "https://u:***@mirror.example:8443/osv"
    )
    assert shown("https://mirror.example/osv") == "https://mirror.example/osv"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://user:s3cret@127.0.0.1:{port}"
    run = scan(project(tmp_path), url, tmp_path / "cache", "--retries", "0")
    assert run.code == 2
    assert "s3cret" not in run.verdict["summary"]
    assert f"http://user:***@127.0.0.1:{port}" in run.verdict["summary"]


def test_an_invalid_version_is_not_sent_and_not_passed(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"poetry.lock": '[[package]]\nname = "x"\nversion = "??"\n'})
    with osv_server(records.by_id()) as (url, behaviour):
        run = scan(root, url, tmp_path / "cache")
    assert run.code == 2
    assert behaviour.requests == []
    assert "'??' is not a valid PyPI version" in run.verdict["summary"]
