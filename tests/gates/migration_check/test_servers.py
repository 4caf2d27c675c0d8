"""Throwaway servers: started from local binaries, reachable, stopped and removed whatever
happens (the body fails, qualgate is killed), and a clear error when none can be had."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from qualgate.errors import GateError
from qualgate.gates.migration_check import servers, servers_bins


def _need(backend: str) -> None:
    if servers_bins.local(backend, None, []) is None:
        pytest.skip(f"no {backend} server binaries on this machine")


def _query(url: str, sql: str) -> object:
    driver = "postgresql+psycopg" if url.startswith("postgresql") else "mysql+pymysql"
    engine = create_engine(driver + url[url.index("://") :], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_postgresql_from_local_binaries_is_stopped_and_removed(tmp_path: Path) -> None:
    _need("postgresql")
    with servers.throwaway("postgresql", source="local") as server:
        assert server.source.startswith("local binaries")
        assert _query(server.url, "SELECT current_database()") == "postgres"
        assert server.password not in server.shown
        folder = server.folder
        assert folder is not None and (folder / "data").is_dir()
    assert not folder.exists()


def test_the_server_stops_when_the_body_fails(tmp_path: Path) -> None:
    _need("postgresql")
    with pytest.raises(RuntimeError), servers.throwaway("postgresql", source="local") as server:
        url = server.url
        raise RuntimeError("the gate failed")
    with pytest.raises(Exception, match=r"(?i)connect|refused"):
        _query(url, "SELECT 1")


def _server_folders() -> list[str]:
    import tempfile

    base = Path(tempfile.gettempdir())
    return [str(p) for p in base.glob("qualgate-srv-*")]


def test_no_binaries_in_the_search_path(tmp_path: Path) -> None:
    with (
        pytest.raises(GateError) as caught,
        servers.throwaway("postgresql", source="local", search=[tmp_path]),
    ):
        pass
    assert f"no initdb and postgres in {tmp_path}" in caught.value.reason
    assert "apt-get install postgresql" in (caught.value.hint or "")
    with (
        pytest.raises(GateError) as caught,
        servers.throwaway("mysql", source="local", search=[tmp_path]),
    ):
        pass
    assert "mariadb-install-db" in caught.value.reason


def test_binaries_inside_the_project_are_never_used(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("initdb", "postgres"):
        (fake / name).write_text("#!/bin/sh\ntouch ran\n", encoding="utf-8")
        (fake / name).chmod(0o755)
    assert servers_bins.local("postgresql", [fake], [], root=tmp_path) is None


@pytest.mark.slow
def test_killed_qualgate_leaves_no_server(tmp_path: Path) -> None:
    _need("postgresql")
    script = tmp_path / "hold.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            from qualgate.gates.migration_check import servers
            with servers.throwaway("postgresql", source="local") as server:
                print(server.url, flush=True)
                time.sleep(120)
            """
        ),
        encoding="utf-8",
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert _query(url, "SELECT 1") == 1
        before = set(_server_folders())
        os.kill(proc.pid, signal.SIGKILL)  # no cleanup in the process itself
        proc.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                _query(url, "SELECT 1")
            except Exception:  # noqa: BLE001 - the server is gone, as it must be
                break
            time.sleep(0.3)
        else:
            pytest.fail("the throwaway server outlived the process that started it")
        # The keeper removed the server's folder too.
        deadline = time.monotonic() + 10
        while before & set(_server_folders()) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_mariadb_from_local_binaries() -> None:
    _need("mysql")
    with servers.throwaway("mysql", source="local") as server:
        assert _query(server.url, "SELECT DATABASE()") == "qualgate"
        assert "MariaDB" in str(_query(server.url, "SELECT VERSION()"))
