"""A throwaway server in a Docker container, through testcontainers (when both are there).

Used only when no server binaries were found: a container costs an image pull the first
time and a few seconds each start. testcontainers' reaper removes the container even when
qualgate is killed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import secrets
import time
from collections.abc import Iterator
from typing import Any

from qualgate.errors import GateError
from qualgate.gates.migration_check.servers_bins import Server

IMAGES = {"postgresql": "postgres:16-alpine", "mysql": "mariadb:11"}


def available(tried: list[str]) -> bool:
    """Whether testcontainers is installed and a Docker daemon answers."""
    if importlib.util.find_spec("testcontainers") is None:
        tried.append("testcontainers is not installed (no Docker)")
        return False
    try:
        docker: Any = importlib.import_module("docker")
        client: Any = docker.from_env(timeout=3)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means: no daemon to use
        tried.append(f"no Docker daemon answers ({type(exc).__name__})")
        return False
    return True


@contextlib.contextmanager
def container(backend: str) -> Iterator[Any]:

    started = time.monotonic()
    password = secrets.token_urlsafe(18)
    try:
        if backend == "postgresql":
            from testcontainers.postgres import (  # type: ignore[import-not-found]
                PostgresContainer,
            )

            box: Any = PostgresContainer(
                IMAGES[backend], username="postgres", password=password, dbname="postgres"
            )
            user, database = "postgres", "postgres"
        else:
            from testcontainers.mysql import (  # type: ignore[import-not-found]
                MySqlContainer,
            )

            box = MySqlContainer(
                IMAGES[backend],
                username="qualgate",
                password=password,
                dbname="qualgate",
                root_password=password,
            )
            user, database = "qualgate", "qualgate"
        box.start()
    except Exception as exc:  # noqa: BLE001 - a container that does not start is an error
        raise GateError(
            f"could not start a {IMAGES[backend]} container: {type(exc).__name__}: {exc}",
            "pass --database-url to use a running server instead",
        ) from None
    try:
        host = box.get_container_host_ip()
        port = box.get_exposed_port(5432 if backend == "postgresql" else 3306)
        yield Server(
            backend=backend,
            url=f"{backend}://{user}:{password}@{host}:{port}/{database}",
            source=f"docker {IMAGES[backend]}",
            version=IMAGES[backend].split(":", 1)[1],
            start_ms=int((time.monotonic() - started) * 1000),
            password=password,
        )
    finally:
        with contextlib.suppress(Exception):
            box.stop()
