"""$ref resolution: relative files, cycles, unresolvable refs, the root fence, remote refs."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gates.openapi_lint.helpers import clean, hits, lint, replace_line

PET_REF_LINE = 30


def _with_ref(ref: str) -> str:
    return replace_line(clean("3.1"), PET_REF_LINE, f'              schema: {{$ref: "{ref}"}}')


def test_relative_file_refs_and_cycles_resolve(tmp_path: Path) -> None:
    files = {
        "schemas/pet.yaml": "Pet:\n  type: object\n  properties:\n"
        "    parent: {$ref: '#/Pet'}\n    toy: {$ref: 'toy.yaml'}\n",
        "schemas/toy.yaml": "type: object\nproperties:\n  owner: {$ref: 'pet.yaml#/Pet'}\n",
    }
    run = lint(tmp_path, _with_ref("schemas/pet.yaml#/Pet"), **files)
    assert [f["rule"] for f in run.findings] == ["components-unused"]


def test_unresolvable_local_ref_is_an_error_at_the_ref(tmp_path: Path) -> None:
    run = lint(tmp_path, _with_ref("#/components/schemas/Nope"))
    assert hits(run, "ref-unresolved") == [("openapi.yaml", PET_REF_LINE)]
    assert run.code == 1


def test_missing_file(tmp_path: Path) -> None:
    run = lint(tmp_path, _with_ref("schemas/none.yaml#/Pet"))
    assert hits(run, "ref-unresolved") == [("openapi.yaml", PET_REF_LINE)]
    assert "does not exist" in run.findings[0]["message"] or any(
        "does not exist" in f["message"] for f in run.findings
    )


def test_broken_ref_inside_a_referenced_file_is_located_there(tmp_path: Path) -> None:
    files = {"schemas/pet.yaml": "Pet:\n  type: object\n  properties:\n    x: {$ref: '#/Nope'}\n"}
    run = lint(tmp_path, _with_ref("schemas/pet.yaml#/Pet"), **files)
    assert hits(run, "ref-unresolved") == [("schemas/pet.yaml", 4)]


def test_invalid_yaml_in_a_referenced_file(tmp_path: Path) -> None:
    files = {"schemas/pet.yaml": "Pet:\n  type: [object\n"}
    run = lint(tmp_path, _with_ref("schemas/pet.yaml#/Pet"), **files)
    assert ("schemas/pet.yaml", 3) in hits(run, "yaml-syntax")
    assert hits(run, "ref-unresolved") == [("openapi.yaml", PET_REF_LINE)]


def test_refs_escaping_the_root_are_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text("Pet: {type: object}\n", encoding="utf-8")
    root = tmp_path / "project"
    run = lint(root, _with_ref("../outside.yaml#/Pet"))
    assert hits(run, "ref-outside-root") == [("openapi.yaml", PET_REF_LINE)]
    assert run.code == 1


def test_non_pointer_fragment(tmp_path: Path) -> None:
    run = lint(tmp_path, _with_ref("#Pet"))
    assert hits(run, "ref-unresolved") == [("openapi.yaml", PET_REF_LINE)]


class _Handler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        _Handler.requests.append(self.path)
        if self.path == "/schemas.yaml":
            body = b"Pet:\n  type: object\n  properties:\n    name: {type: string}\n"
            self.send_response(200)
            self.send_header("Content-Type", "application/yaml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture()
def server() -> Iterator[str]:
    _Handler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_remote_refs_are_not_fetched_by_default(tmp_path: Path, server: str) -> None:
    run = lint(tmp_path, _with_ref(f"{server}/schemas.yaml#/Pet"))
    assert hits(run, "ref-remote") == [("openapi.yaml", PET_REF_LINE)]
    assert [f["severity"] for f in run.findings if f["rule"] == "ref-remote"] == ["error"]
    assert run.code == 1
    assert _Handler.requests == []
    lowered = lint(tmp_path, None, "--rules", '{"ref-remote": "warning"}')
    assert lowered.code == 0 and sorted(lowered.rules()) == ["components-unused", "ref-remote"]


def test_remote_refs_with_allow_remote_refs(tmp_path: Path, server: str) -> None:
    run = lint(tmp_path, _with_ref(f"{server}/schemas.yaml#/Pet"), "--allow-remote-refs")
    assert [f["rule"] for f in run.findings] == ["components-unused"]
    assert _Handler.requests == ["/schemas.yaml"]


def test_remote_ref_that_fails(tmp_path: Path, server: str) -> None:
    run = lint(tmp_path, _with_ref(f"{server}/missing.yaml#/Pet"), "--allow-remote-refs")
    assert hits(run, "ref-unresolved") == [("openapi.yaml", PET_REF_LINE)]
    assert "404" in next(f["message"] for f in run.findings if f["rule"] == "ref-unresolved")
