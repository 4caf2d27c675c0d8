"""A real OSV API on 127.0.0.1 for tests: ``/v1/querybatch`` and ``/v1/vulns/{id}``.

It answers from OSV records given to it, matching versions with the gate's own matcher
(the point of these tests is the client: transport, retries, failures, cache), and can be
told to misbehave: be slow, answer 5xx (a number of times or always), send malformed JSON.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from qualgate.gates.dependency_scan.matching import advisory_affects
from qualgate.gates.dependency_scan.model import normalize_name
from qualgate.gates.dependency_scan.osv import advisory_from_osv


@dataclass
class Behaviour:
    delay: float = 0.0
    fail_times: int = 0  # answer 503 to this many requests first
    fail_status: int = 503
    malformed: bool = False
    malformed_shape: bool = False  # valid JSON, wrong number of results
    page_size: int = 0  # >0: paginate vulns lists with next_page_token
    hidden: set[str] = field(default_factory=set)  # ids listed by querybatch but 404 on GET
    requests: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _misbehave(self) -> bool:
        behaviour = self.server.behaviour
        behaviour.requests.append(f"{self.command} {self.path}")
        if behaviour.delay:
            time.sleep(behaviour.delay)
        if behaviour.fail_times:
            behaviour.fail_times -= 1
            self._send(behaviour.fail_status, b'{"error": "unavailable"}')
            return True
        if behaviour.malformed:
            self._send(200, b"<html>not json")
            return True
        return False

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length))
        if self._misbehave():
            return
        if self.path != "/v1/querybatch":
            self._send(404, b"{}")
            return
        results = []
        for query in payload["queries"]:
            results.append(self.server.answer(query))
        if self.server.behaviour.malformed_shape:
            results = results[:-1]
        self._send(200, json.dumps({"results": results}).encode())

    def do_GET(self) -> None:
        if self._misbehave():
            return
        prefix = "/v1/vulns/"
        vuln_id = self.path[len(prefix) :] if self.path.startswith(prefix) else ""
        record = self.server.records.get(vuln_id)
        if record is None or vuln_id in self.server.behaviour.hidden:
            self._send(404, b'{"code": 5, "message": "Bug not found."}')
            return
        self._send(200, json.dumps(record).encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, records: Mapping[str, Any], behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.records = dict(records)
        self.behaviour = behaviour
        self.advisories = [advisory_from_osv(r, "test") for r in self.records.values()]

    def answer(self, query: dict[str, Any]) -> dict[str, Any]:
        package = query["package"]
        ecosystem = package["ecosystem"]
        name = package["name"]
        key = normalize_name(name) if ecosystem == "PyPI" else name
        vulns = [
            {"id": a.id, "modified": a.modified}
            for a in self.advisories
            if advisory_affects(a, key, query["version"], ecosystem)[0]
        ]
        size = self.behaviour.page_size
        if not size:
            return {"vulns": vulns} if vulns else {}
        start = int(query.get("page_token") or 0)
        page: dict[str, Any] = {"vulns": vulns[start : start + size]}
        if start + size < len(vulns):
            page["next_page_token"] = str(start + size)
        return page


@contextmanager
def osv_server(
    records: Mapping[str, Any], behaviour: Behaviour | None = None
) -> Iterator[tuple[str, Behaviour]]:
    """Serve ``records`` (id -> OSV record) on loopback; yields (base URL, behaviour)."""
    behaviour = behaviour or Behaviour()
    server = _Server(records, behaviour)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", behaviour
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
