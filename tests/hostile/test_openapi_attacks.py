"""Attacks on openapi-lint: documents outside the root, devices, remote refs from the
repository's config, and an app that tries to reach the network, serve or write a
database while its OpenAPI document is generated."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.hostile.conftest import SECRET, Layout, Listener, no_secret_anywhere
from tests.support import run_qualgate, write_files

PET = """\
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /pets:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "REF"}
"""


def _all_outputs(layout: Layout, *args: str) -> str:
    """Every format and a SARIF report of one run, joined."""
    texts = []
    for fmt in ("json", "text", "sarif", "github", "markdown", "junit"):
        run = run_qualgate("openapi-lint", str(layout.root), "--format", fmt, *args)
        texts += [run.stdout, run.stderr]
    return "\n".join(texts)


def test_a_root_document_linked_outside_is_not_read(layout: Layout) -> None:
    (layout.outside / "creds.yaml").write_text(f"openapi: 3.1.0\ntoken: {SECRET}\n")
    (layout.root / "openapi.yaml").symlink_to(layout.outside / "creds.yaml")
    run = run_qualgate("openapi-lint", str(layout.root))
    assert run.code == 1
    assert [(f["rule"], f["path"]) for f in run.findings] == [
        ("document-outside-root", "openapi.yaml")
    ]
    no_secret_anywhere(SECRET, run.stdout, run.stderr, _all_outputs(layout), root=layout.root)


def test_repo_config_specs_outside_the_root_are_not_read(layout: Layout) -> None:
    (layout.outside / "openapi.yaml").write_text(f"openapi: 3.1.0\ninfo: {{title: {SECRET}}}\n")
    write_files(
        layout.root,
        {"pyproject.toml": '[tool.qualgate.openapi-lint]\nspecs = ["../outside/*.yaml"]\n'},
    )
    run = run_qualgate("openapi-lint", str(layout.root))
    assert run.code == 1
    assert [(f["rule"], f["path"]) for f in run.findings] == [
        ("document-outside-root", "../outside/openapi.yaml")
    ]
    no_secret_anywhere(SECRET, run.stdout, _all_outputs(layout), root=layout.root)


def test_a_document_named_outside_on_the_command_line_is_read_and_shown_relative(
    layout: Layout,
) -> None:
    document = layout.outside / "openapi.yaml"
    document.write_text(PET.replace("REF", "#/nowhere"))
    sarif = layout.root / "out.sarif"
    run = run_qualgate(
        "openapi-lint", str(layout.root), "--specs", str(document), "--report", f"sarif:{sarif}"
    )
    assert run.code == 1  # read: its broken ref is found
    assert {f["path"] for f in run.findings} == {"../outside/openapi.yaml"}
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in results
        for loc in result.get("locations", [])
    ]
    assert uris and all(not u.startswith(("/", "file:")) for u in uris), uris
    # (the run's command line, which the user typed, may name it; no result does)
    assert str(layout.outside) not in json.dumps(results)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_document_linked_to_a_device_ends_fast(layout: Layout, device: str) -> None:
    (layout.root / "openapi.yaml").symlink_to(device)
    started = time.monotonic()
    run = run_qualgate("openapi-lint", str(layout.root), "--timeout", "20")
    named = run_qualgate("openapi-lint", str(layout.root), "--specs", device, "--timeout", "20")
    assert time.monotonic() - started < 15
    assert [f["rule"] for f in run.findings] == ["document-outside-root"]
    assert [f["rule"] for f in named.findings] == ["document-unreadable"]
    assert "not a regular file" in named.findings[0]["message"]


def test_a_fifo_named_openapi_yaml_does_not_hang(layout: Layout) -> None:
    os.mkfifo(layout.root / "openapi.yaml")
    started = time.monotonic()
    run = run_qualgate("openapi-lint", str(layout.root), "--timeout", "20")
    assert time.monotonic() - started < 10
    assert [f["rule"] for f in run.findings] == ["document-unreadable"]


def test_repo_config_cannot_turn_on_remote_refs(layout: Layout, listener: Listener) -> None:
    write_files(
        layout.root,
        {
            "openapi.yaml": PET.replace("REF", f"{listener.url}/schemas.yaml#/Pet"),
            "pyproject.toml": "[tool.qualgate.openapi-lint]\nallow-remote-refs = true\n",
        },
    )
    run = run_qualgate("openapi-lint", str(layout.root))
    assert run.code == 2
    assert run.verdict is not None and "allow-remote-refs" in run.verdict["summary"]
    time.sleep(0.5)
    assert listener.connections == []


def test_without_the_config_remote_refs_stay_unfetched(layout: Layout, listener: Listener) -> None:
    write_files(layout.root, {"openapi.yaml": PET.replace("REF", f"{listener.url}/s.yaml#/Pet")})
    run = run_qualgate("openapi-lint", str(layout.root))
    assert [f["rule"] for f in run.findings if f["rule"].startswith("ref-")] == ["ref-remote"]
    # The environment may turn it on (the positive control: this test can see a fetch).
    fetched = run_qualgate(
        "openapi-lint",
        str(layout.root),
        env={"QUALGATE_OPENAPI_LINT_ALLOW_REMOTE_REFS": "1"},
    )
    assert fetched.verdict is not None
    time.sleep(0.5)
    assert len(listener.connections) >= 1


APP = """\
import socket
import sqlite3

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
def ping() -> dict[str, str]:
    return {}


try:
    socket.create_connection(("127.0.0.1", PORT), timeout=2)
except OSError:
    pass
try:
    sock = socket.socket()
    sock.connect(("127.0.0.1", PORT))
except OSError:
    pass
try:
    sqlite3.connect("shop.db").execute("create table t (x)")
except sqlite3.Error:
    pass

import uvicorn

uvicorn.run(app, host="127.0.0.1", port=0)
"""


def test_generating_the_spec_reaches_no_network_server_or_database(
    layout: Layout, listener: Listener
) -> None:
    write_files(layout.root, {"main.py": APP.replace("PORT", str(listener.port))})
    run = run_qualgate("openapi-lint", str(layout.root))
    assert run.verdict is not None and run.verdict["status"] == "pass", run.verdict
    generate = next(c for c in run.verdict["checks"] if c["name"] == "generate")
    assert "blocked while importing" in generate["summary"]
    time.sleep(0.5)
    assert listener.connections == []
    assert not (layout.root / "shop.db").exists()
    assert not list(layout.root.rglob("__pycache__"))


def test_dotenv_secrets_never_reach_any_output(layout: Layout) -> None:
    write_files(
        layout.root,
        {
            ".env": f"API_TOKEN={SECRET}\n",
            "main.py": "import os\nfrom fastapi import FastAPI\n\n"
            "raise RuntimeError('bad token ' + os.environ['API_TOKEN'])\napp = FastAPI()\n",
        },
    )
    outputs = _all_outputs(layout)
    assert "bad token ***" in outputs
    no_secret_anywhere(SECRET, outputs, root=layout.root)


def test_repo_config_cannot_name_a_contract_outside(layout: Layout) -> None:
    (layout.outside / "c.yaml").write_text(f"openapi: 3.1.0\ninfo: {{title: {SECRET}}}\n")
    write_files(
        layout.root,
        {
            "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            "pyproject.toml": '[tool.qualgate.openapi-lint]\ncontract = "../outside/c.yaml"\n',
        },
    )
    run = run_qualgate("openapi-lint", str(layout.root))
    assert run.code == 2
    no_secret_anywhere(SECRET, run.stdout, root=layout.root)


def test_repo_config_cannot_choose_the_interpreter(layout: Layout) -> None:
    canary = layout.outside / "ran"
    script = layout.root / "tools" / "python"
    write_files(layout.root, {"tools/python": f"#!/bin/sh\ntouch {canary}\n"})
    script.chmod(0o755)
    write_files(
        layout.root,
        {
            "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            "pyproject.toml": '[tool.qualgate.openapi-lint]\npython = "tools/python"\n',
        },
    )
    run = run_qualgate("openapi-lint", str(layout.root))
    assert run.code == 2
    assert not canary.exists()
