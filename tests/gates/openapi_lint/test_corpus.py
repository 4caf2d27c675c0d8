"""The real-world corpus (../shared/openapi-corpus): every document loads and is checked.

No crash, no timeout, located findings; the two real consecutive-version pairs produce a
breaking-change report. Slow (large documents): marked ``slow``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support import run_qualgate, shared_path

DOCUMENTS = [
    "oai-webhook-v3.1.yaml",
    "oai-petstore-v2.0.json",
    "oai-petstore-expanded-v3.0.yaml",
    "redocly-museum-v3.1.yaml",
    "discord-v3.1.json",
    "openai-v3.1.yaml",
    "plaid-v3.0.yaml",
    "github-v3.0.json",
    "kubernetes-v2.0.json",
    "stripe-v3.0.json",
]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", DOCUMENTS)
def test_corpus_document(tmp_path: Path, name: str) -> None:
    corpus = shared_path("openapi-corpus")
    started = time.monotonic()
    run = run_qualgate(
        "openapi-lint",
        str(corpus),
        "--specs",
        name,
        "--verdict-dir",
        str(tmp_path),
        "--timeout",
        "60",
    )
    assert time.monotonic() - started < 60
    assert run.verdict is not None
    assert run.verdict["status"] in ("pass", "fail"), run.verdict["summary"]
    assert run.verdict["metrics"]["documents"] == 1
    assert not [
        f
        for f in run.findings
        if f["rule"] in ("yaml-syntax", "json-syntax", "ref-unresolved", "oas-version")
    ]
    for finding in run.findings:
        assert finding["path"] == name
        assert finding["line"] >= 1, finding


@pytest.mark.parametrize(
    ("old", "new", "breaking"),
    [
        ("github-2022-07-14-d4f05e01.json", "github-2022-07-18-58592853.json", 1),
        ("stripe-2022-04-07.json", "stripe-2022-04-12.json", 1),
    ],
)
def test_real_pairs_produce_a_report(tmp_path: Path, old: str, new: str, breaking: int) -> None:
    pairs = shared_path("openapi-corpus", "pairs")
    started = time.monotonic()
    run = run_qualgate(
        "openapi-lint",
        str(pairs),
        "--specs",
        new,
        "--against",
        str(pairs / old),
        "--verdict-dir",
        str(tmp_path),
    )
    elapsed = time.monotonic() - started
    assert run.verdict is not None
    changes = [f for f in run.findings if f["check"] == "breaking"]
    assert changes, "a real 4-5 day diff has changes"
    assert all(f["line"] >= 1 for f in changes)
    assert {f["data"]["side"] for f in changes} <= {"new", "base"}
    assert any(f["rule"] == "api-change" for f in changes)
    assert elapsed < 30
