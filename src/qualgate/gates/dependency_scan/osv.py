"""OSV records and the online OSV API client (batch query, vulnerability details, cache).

The client asks ``POST {osv-url}/v1/querybatch`` which vulnerabilities affect each
(ecosystem, name, version), then fetches each record with ``GET {osv-url}/v1/vulns/{id}``.
Records are cached on disk by id and ``modified`` time, so an unchanged record is never
fetched twice; the batch answer itself is not cached (new advisories must show up).
Server errors, timeouts and malformed answers are retried with backoff; what still fails
is returned as "could not check" for the dependencies concerned, never as "no
vulnerability".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate.fsutil import write_atomic
from qualgate.gates.dependency_scan.model import (
    Advisory,
    Affected,
    Ecosystem,
    Range,
    normalize_name,
)
from qualgate.redact import mask

DEFAULT_URL = "https://api.osv.dev"
BATCH_LIMIT = 1000  # the API's maximum number of queries per batch
_ECOSYSTEMS = {e.value for e in Ecosystem}


class OsvDataError(ValueError):
    """A record or an answer that does not have the OSV shape."""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int, float)))
    return ()


def advisory_from_osv(data: Any, origin: str) -> Advisory:
    """An `Advisory` from an OSV record (JSON or YAML loaded as plain data)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise OsvDataError("not an OSV record: no id")
    affected_out: list[Affected] = []
    severity: list[tuple[str, str]] = []
    for item in data.get("severity") or ():
        if isinstance(item, Mapping) and "type" in item and "score" in item:
            severity.append((str(item["type"]), str(item["score"])))
    for entry in data.get("affected") or ():
        if not isinstance(entry, Mapping):
            continue
        package = entry.get("package")
        if not isinstance(package, Mapping):
            continue
        ecosystem = str(package.get("ecosystem", ""))
        if ecosystem not in _ECOSYSTEMS or not package.get("name"):
            continue
        name = str(package["name"])
        if ecosystem == Ecosystem.PYPI.value:
            name = normalize_name(name)
        ranges = []
        for rng in entry.get("ranges") or ():
            if not isinstance(rng, Mapping):
                continue
            events = tuple(
                (str(kind), str(value))
                for event in rng.get("events") or ()
                if isinstance(event, Mapping)
                for kind, value in event.items()
            )
            ranges.append(Range(type=str(rng.get("type", "")), events=events))
        for item in entry.get("severity") or ():
            if isinstance(item, Mapping) and "type" in item and "score" in item:
                severity.append((str(item["type"]), str(item["score"])))
        affected_out.append(
            Affected(
                ecosystem=ecosystem,
                name=name,
                ranges=tuple(ranges),
                versions=frozenset(_strings(entry.get("versions"))),
            )
        )
    summary = data.get("summary") or ""
    if not summary:
        details = str(data.get("details") or "").strip()
        summary = details.splitlines()[0] if details else ""
        if len(summary) > 200:  # details are paragraphs; a finding wants one short line
            summary = summary[:197].rsplit(" ", 1)[0].rstrip(",;:") + "..."
    label = None
    specific = data.get("database_specific")
    if isinstance(specific, Mapping) and isinstance(specific.get("severity"), str):
        label = specific["severity"]
    return Advisory(
        id=data["id"],
        aliases=tuple(a for a in _strings(data.get("aliases")) if a != data["id"]),
        summary=str(summary),
        severity=tuple(severity),
        severity_label=label,
        withdrawn=bool(data.get("withdrawn")),
        modified=str(data.get("modified") or ""),
        affected=tuple(affected_out),
        url=f"https://osv.dev/vulnerability/{data['id']}",
        origin=origin,
    )


# ---------------------------------------------------------------------------
# Online client


@dataclass(frozen=True, kw_only=True, slots=True)
class Query:
    ecosystem: str
    name: str
    version: str


@dataclass(frozen=True, kw_only=True, slots=True)
class OnlineResult:
    advisories: Mapping[Query, tuple[Advisory, ...]]
    # Queries that could not be answered, with the reason.
    failures: Mapping[Query, str]
    requests: int
    cached_records: int


class TransientError(Exception):
    """Worth retrying: connection failure, timeout, 5xx, 429, malformed answer."""


class PermanentError(Exception):
    """Not worth retrying: 4xx."""


class OsvClient:
    """A small OSV API client on urllib with retries, backoff and a record cache."""

    def __init__(
        self,
        base_url: str,
        *,
        cache_dir: Path | None,
        timeout: float,
        retries: int,
        deadline: Callable[[], float],
        backoff: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.shown = mask(self.base_url)  # a mirror's URL may carry credentials
        self.cache_dir = cache_dir / "osv-records" if cache_dir else None
        self.timeout = timeout
        self.retries = retries
        self.deadline = deadline  # seconds left of the gate's budget
        self.backoff = backoff
        self.requests = 0

    # -- HTTP -------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        # Imported here: offline scans never pay for the HTTP stack.
        import urllib.error
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - osv-url is validated http(s)
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "User-Agent": "qualgate dependency-scan"},
        )
        timeout = max(0.5, min(self.timeout, self.deadline() - 0.5))
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise TransientError(f"HTTP {exc.code} from {self.shown}{path}") from exc
            raise PermanentError(f"HTTP {exc.code} from {self.shown}{path}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransientError(f"cannot reach {self.shown}: {reason}") from exc
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TransientError(f"malformed JSON from {self.shown}{path}") from exc

    def _with_retries(self, method: str, path: str, body: Any = None) -> Any:
        attempt = 0
        while True:
            try:
                return self._request(method, path, body)
            except TransientError:
                attempt += 1
                wait = self.backoff * 2 ** (attempt - 1)
                if attempt > self.retries or self.deadline() < wait + 1:
                    raise
                time.sleep(wait)

    # -- API --------------------------------------------------------------

    def _batch(self, queries: Sequence[Query]) -> list[list[tuple[str, str]]]:
        """For each query, its (id, modified) pairs, following page tokens."""
        payload = {
            "queries": [
                {"package": {"ecosystem": q.ecosystem, "name": q.name}, "version": q.version}
                for q in queries
            ]
        }
        answer = self._with_retries("POST", "/v1/querybatch", payload)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(queries):
            raise TransientError(
                f"malformed querybatch answer from {self.shown}: expected {len(queries)} results"
            )
        out: list[list[tuple[str, str]]] = []
        for query, result in zip(queries, results, strict=True):
            ids: list[tuple[str, str]] = []
            pages = 0
            while True:
                if not isinstance(result, dict):
                    raise TransientError(f"malformed querybatch result from {self.shown}")
                for vuln in result.get("vulns") or ():
                    if not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str):
                        raise TransientError(f"malformed vulnerability entry from {self.shown}")
                    ids.append((vuln["id"], str(vuln.get("modified", ""))))
                token = result.get("next_page_token")
                pages += 1
                if not token or pages > 50:
                    break
                again = {
                    "queries": [
                        {
                            "package": {"ecosystem": query.ecosystem, "name": query.name},
                            "version": query.version,
                            "page_token": token,
                        }
                    ]
                }
                page = self._with_retries("POST", "/v1/querybatch", again)
                page_results = page.get("results") if isinstance(page, dict) else None
                if not isinstance(page_results, list) or len(page_results) != 1:
                    raise TransientError(f"malformed querybatch page from {self.shown}")
                result = page_results[0]
            out.append(ids)
        return out

    def _cache_file(self, vuln_id: str) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(self.base_url.encode()).hexdigest()[:12]
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in vuln_id)
        return self.cache_dir / digest / f"{safe}.json"

    def _record(self, vuln_id: str, modified: str) -> tuple[Advisory, bool]:
        """(advisory, came from cache)."""
        cache = self._cache_file(vuln_id)
        if cache is not None and cache.is_file():
            try:
                data = json.loads(cache.read_text(encoding="utf-8"))
                if not modified or data.get("modified") == modified:
                    return advisory_from_osv(data, "osv cache"), True
            except (OSError, ValueError):
                pass  # a corrupt cache entry is fetched again
        from urllib.parse import quote

        data = self._with_retries("GET", f"/v1/vulns/{quote(vuln_id, safe='')}")
        try:
            advisory = advisory_from_osv(data, self.shown)
        except OsvDataError as exc:
            raise TransientError(f"malformed record {vuln_id} from {self.shown}") from exc
        if cache is not None:
            _write_cache(cache, data)
        return advisory, False

    def query(self, queries: Sequence[Query]) -> OnlineResult:
        from concurrent.futures import ThreadPoolExecutor

        unique = list(dict.fromkeys(queries))
        ids: dict[Query, list[tuple[str, str]]] = {}
        failures: dict[Query, str] = {}
        for start in range(0, len(unique), BATCH_LIMIT):
            chunk = unique[start : start + BATCH_LIMIT]
            try:
                for query, found in zip(chunk, self._batch(chunk), strict=True):
                    ids[query] = found
            except (TransientError, PermanentError) as exc:
                for query in chunk:
                    failures[query] = str(exc)
        wanted = {vid: modified for found in ids.values() for vid, modified in found}
        records: dict[str, Advisory] = {}
        record_errors: dict[str, str] = {}
        cached = 0

        def fetch(item: tuple[str, str]) -> tuple[str, Advisory | None, str | None, bool]:
            try:
                advisory, from_cache = self._record(*item)
                return item[0], advisory, None, from_cache
            except (TransientError, PermanentError) as exc:
                return item[0], None, str(exc), False

        with ThreadPoolExecutor(max_workers=8) as pool:
            for vid, advisory, error, from_cache in pool.map(fetch, wanted.items()):
                if advisory is not None:
                    records[vid] = advisory
                    cached += from_cache
                else:
                    record_errors[vid] = error or "unknown error"
        advisories: dict[Query, tuple[Advisory, ...]] = {}
        for query, found in ids.items():
            missing = [vid for vid, _ in found if vid in record_errors]
            if missing:
                failures[query] = f"record {missing[0]}: {record_errors[missing[0]]}"
            advisories[query] = tuple(records[vid] for vid, _ in found if vid in records)
        return OnlineResult(
            advisories=advisories, failures=failures, requests=self.requests, cached_records=cached
        )


def _write_cache(path: Path, data: Any) -> None:
    """Best effort: an unwritable cache only costs a later fetch."""
    with contextlib.suppress(OSError):
        write_atomic(path, json.dumps(data))
