"""Database URL handling: driver defaults, refusal of remote or production targets.

A seed run writes; pointing it at the wrong server is the costly mistake. So a URL whose host
is not this machine, or whose database name reads like production, is refused unless
``--allow-remote`` says the user means it. A parsed URL is shown with its password hidden;
text that may repeat it (a driver's message) is masked with `qualgate.redact.mask` and the
URL's `secrets_of`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from qualgate.errors import GateError
from qualgate.redact import mask, url_secrets

# Plain schemes: qualgate's own driver is picked (psycopg, psycopg2 or pg8000; PyMySQL or
# mysqlclient), or an error names the extra that installs one.
_PLAIN = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0:0:0:0:0:0:0:1"})
# A database whose name contains one of these words (split on non-letters) is treated as
# production. "main" and "master" are left out: too many development databases use them.
PRODUCTION_WORDS = frozenset({"prod", "production", "prd", "live"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """A parsed, checked database URL."""

    url: URL
    shown: str  # password masked

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()


def secrets_of(url: URL) -> tuple[str, ...]:
    """The URL's password in the forms a message may repeat (raw and percent-decoded)."""
    return url_secrets(url.render_as_string(hide_password=False))


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z]+", name.lower()) if w}


def production_words(name: str) -> set[str]:
    """The production-sounding words in a database name (empty when there are none)."""
    return _words(name) & PRODUCTION_WORDS


def is_local(url: URL) -> bool:
    if url.get_backend_name() == "sqlite":
        return True
    host = url.host
    if host is None or host == "":
        return True  # the driver's local socket
    if host in LOCAL_HOSTS or host.startswith("127."):
        return True
    # libpq style `?host=/var/run/postgresql`: a Unix socket is local.
    return host.startswith("/")


def parse(raw: str, *, root: Path, allow_remote: bool) -> Target:
    """Parse and check ``--database-url``; raises `GateError` for a refused or bad URL."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise GateError(
            f"--database-url {mask(raw)} is not a database URL",
            "use e.g. postgresql://user@127.0.0.1/dbname, mysql://root@127.0.0.1/db or "
            "sqlite:///seed.db",
        ) from None
    if url.drivername in _PLAIN:
        from qualgate.gates.migration_check.api import own_driver

        family = _PLAIN[url.drivername]
        driver = own_driver(family)
        if url.drivername == "mariadb":
            driver = driver.replace("mysql", "mariadb", 1)
        url = url.set(drivername=driver)
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise GateError(
                "--database-url: an in-memory SQLite database would be discarded at once",
                "name a file (sqlite:///seed.db), or leave --database-url out for the "
                "embedded check",
            )
        path = Path(database)
        if not path.is_absolute():
            # Relative to the project root, like every other path the gate reads.
            url = url.set(database=str(root / path))
        name = path.stem
    else:
        name = url.database or ""
    shown = url.render_as_string(hide_password=True)
    if not allow_remote:
        if not is_local(url):
            raise GateError(
                f"refusing to seed {shown}: {url.host} is not this machine",
                "pass --allow-remote if you really mean to write seed data to that server",
            )
        words = production_words(name)
        if words:
            raise GateError(
                f"refusing to seed {shown}: the database name looks like production "
                f"({', '.join(sorted(words))})",
                "pass --allow-remote if you really mean to write seed data there",
            )
    return Target(url=url, shown=shown)
