"""Which database engine a project's migrations are written for, read from its files.

Running PostgreSQL migrations on SQLite fails valid code (``near "ALTER": syntax error``)
and tells the user to fix what is not broken; a settings class validating ``PostgresDsn``
rejects a SQLite URL before any migration runs. So the gate first works out the engine:
the options, then dialect-specific code in the revisions and models (``postgresql.JSONB``,
``mysql_engine=``), URLs in env.py and alembic.ini, settings (``PostgresDsn``,
``POSTGRES_SERVER``), ``.env`` files, docker compose services and the dependencies. The
strongest kind of evidence that names an engine decides; every piece is kept to show.

Nothing here imports project code: files are read as text, bounded, inside the root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qualgate.fsutil import ReadRefused, read_text_bounded
from qualgate.policy import SKIP_DIRS

# The engines the gate can give a scratch database of.
BACKENDS = ("postgresql", "mysql", "sqlite")

# Evidence strength: the highest tier with any evidence decides. alembic.ini's URL counts
# for less than the settings when env.py builds its own URL or engine.
OPTION, REVISIONS, ENV_PY, MODELS, INI, SETTINGS, INI_OVERRIDDEN, DEPENDENCIES = (
    80,
    70,
    60,
    50,
    40,
    30,
    20,
    10,
)
_OWN_URL = re.compile(
    r"set_main_option\(\s*['\"]sqlalchemy\.url|create_(?:async_)?engine\(|\bsettings\.|getenv\(|environ"
)

# A URL, or a scheme with its driver as a string (PostgresDsn.build(scheme="postgresql+...")).
_SCHEME = re.compile(
    r"\b(postgresql|postgres|mysql|mariadb|sqlite)(?:(?:\+([a-z0-9_]+))?://|\+([a-z0-9_]+)['\"])",
    re.IGNORECASE,
)
# Dialect-specific code: imports of a dialect, its types, its keyword arguments.
_DIALECT_CODE = {
    "postgresql": re.compile(
        r"sqlalchemy\.dialects\.postgresql|dialects\s+import\s+(?:[\w, ]+,\s*)?postgresql\b"
        r"|\bpostgresql\.(?:JSONB|UUID|ARRAY|ENUM|INET|CIDR|TSVECTOR|HSTORE|INTERVAL|BYTEA"
        r"|insert|ExcludeConstraint|CreateEnumType|DropEnumType)\b"
        r"|\bpostgresql_(?:using|where|concurrently|include|ops|with|nulls_not_distinct)['\"]?\s*[=:]"
        r"|\bJSONB\b"
    ),
    "mysql": re.compile(
        r"sqlalchemy\.dialects\.mysql|dialects\s+import\s+(?:[\w, ]+,\s*)?mysql\b"
        r"|\bmysql\.(?:TINYINT|MEDIUMTEXT|LONGTEXT|DOUBLE|ENUM|SET|BIT|YEAR|insert|JSON)\b"
        r"|\bmysql_(?:engine|charset|collate|length|prefix|using)['\"]?\s*[=:]"
        r"|\bmariadb_(?:engine|charset)['\"]?\s*[=:]"
    ),
}
_SETTINGS = {
    "postgresql": re.compile(
        r"\bPostgresDsn\b|\bPOSTGRES_(?:SERVER|HOST|DB|USER|PASSWORD)\b|\basyncpg\b"
        r"|\bpsycopg2?\b|\bpg8000\b"
        # The project's test fixtures: pytest-mock-resources, pytest-postgresql, testcontainers.
        r"|\bcreate_postgres_fixture\b|\bpostgresql_proc\b|\bPostgresContainer\b"
    ),
    "mysql": re.compile(
        r"\bMySQLDsn\b|\bMARIADB_(?:HOST|DATABASE)\b|\bMYSQL_(?:HOST|SERVER|DATABASE|DB|USER)\b"
        r"|\bpymysql\b|\baiomysql\b|\basyncmy\b|\bMySQLdb\b"
        r"|\bcreate_mysql_fixture\b|\bmysql_proc\b|\bMySqlContainer\b"
    ),
}
_COMPOSE_IMAGE = re.compile(
    r"^\s*image:\s*['\"]?(?:[\w./-]+/)?(postgres|postgis|mysql|mariadb)\b", re.M
)
_DEPENDENCY = {
    "postgresql": re.compile(
        r"^\s*['\"]?(psycopg2?(?:-binary)?|psycopg\[|asyncpg|pg8000)", re.M | re.IGNORECASE
    ),
    "mysql": re.compile(
        r"^\s*['\"]?(pymysql|mysqlclient|aiomysql|asyncmy)\b", re.M | re.IGNORECASE
    ),
}
_DEP_DRIVER = {
    "psycopg2": "psycopg2",
    "psycopg2-binary": "psycopg2",
    "psycopg[": "psycopg",
    "asyncpg": "asyncpg",
    "pg8000": "pg8000",
    "pymysql": "pymysql",
    "mysqlclient": "mysqldb",
    "aiomysql": "aiomysql",
    "asyncmy": "asyncmy",
}
# alembic init writes this placeholder; it names no engine.
_PLACEHOLDER = re.compile(r"^driver://", re.IGNORECASE)
# Files read for settings; more would be slow on a monorepo and add nothing.
_MAX_FILES = 3000
_MAX_BYTES = 1024 * 1024
_SETTINGS_FILES = (
    ".env",
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    "example.env",
)
_COMPOSE_FILES = (
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
    "docker-compose.override.yml",
    "docker-compose.dev.yml",
)
_DEPENDENCY_FILES = ("pyproject.toml", "requirements.txt", "setup.cfg", "setup.py", "Pipfile")


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """One reason to think the project targets ``backend``."""

    backend: str
    tier: int
    where: str  # "migrations/versions/0003.py:5"
    what: str  # "imports sqlalchemy.dialects.postgresql"
    driver: str | None = None

    def show(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Engine:
    """The engine the migrations target, why, and the drivers the project names."""

    backend: str  # postgresql | mysql | sqlite
    decided_by: Evidence | None  # None: nothing names an engine (SQLite by default)
    evidence: tuple[Evidence, ...] = ()
    drivers: tuple[str, ...] = field(default_factory=tuple)  # preferred, strongest first

    @property
    def reason(self) -> str:
        if self.decided_by is None:
            return "no file names a database engine: the embedded SQLite default"
        return self.decided_by.show()

    def as_metric(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "reason": self.reason,
            "drivers": list(self.drivers),
            "evidence": [e.show() for e in self.evidence[:10]],
        }


def backend_of(scheme: str) -> str | None:
    """``postgresql+asyncpg`` -> postgresql; mariadb -> mysql; None for other engines."""
    name = scheme.split("+", 1)[0].lower()
    if name in ("postgresql", "postgres"):
        return "postgresql"
    if name in ("mysql", "mariadb"):
        return "mysql"
    return "sqlite" if name == "sqlite" else None


def _driver_of(scheme_match: re.Match[str]) -> str | None:
    driver = scheme_match.group(2) or scheme_match.group(3)
    return driver.lower() if driver else None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _read(path: Path) -> str | None:
    try:
        return read_text_bounded(path, _MAX_BYTES, errors="replace")
    except (OSError, ReadRefused):
        return None


def _urls(text: str, where: str, tier: int, skip_placeholder: bool = False) -> Iterator[Evidence]:
    for match in _SCHEME.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if skip_placeholder and _PLACEHOLDER.match(text[match.start() :]):
            continue
        if text[line_start : match.start()].lstrip().startswith("#"):
            continue  # a commented-out URL names nothing
        backend = backend_of(match.group(1))
        if backend is None:
            continue
        yield Evidence(
            backend=backend,
            tier=tier,
            where=f"{where}:{_line_of(text, match.start())}",
            what=f"database URL {match.group(0)}",
            driver=_driver_of(match),
        )


def _dialect_code(text: str, where: str, tier: int) -> Iterator[Evidence]:
    for backend, pattern in _DIALECT_CODE.items():
        match = pattern.search(text)
        if match:
            yield Evidence(
                backend=backend,
                tier=tier,
                where=f"{where}:{_line_of(text, match.start())}",
                what=f"{backend}-specific code `{match.group(0).strip()}`",
            )


def _settings(text: str, where: str) -> Iterator[Evidence]:
    for backend, pattern in _SETTINGS.items():
        match = pattern.search(text)
        if match:
            word = match.group(0)
            driver = word.lower() if word.lower() in _DEP_DRIVER.values() else None
            driver = "mysqldb" if word == "MySQLdb" else driver
            yield Evidence(
                backend=backend,
                tier=SETTINGS,
                where=f"{where}:{_line_of(text, match.start())}",
                what=f"settings name `{word}`",
                driver=driver,
            )


def _python_files(root: Path, skip: set[Path]) -> Iterator[Path]:
    """The project's Python files (not tests, not vendored environments), bounded."""
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_DIRS and not d.startswith(".") and d not in ("tests", "test")
        )
        for name in sorted(files):
            if not name.endswith(".py") or name.startswith("test_"):
                continue
            path = Path(folder) / name
            if path in skip or path.is_symlink():
                continue
            count += 1
            if count > _MAX_FILES:
                return
            yield path


def detect(
    root: Path,
    *,
    option: str | None,
    database_url: str | None,
    ini_url: str | None,
    env_py: Path | None,
    revisions: Iterable[tuple[str, str]],
) -> Engine:
    """The engine of the project at ``root``.

    ``option`` is ``--dialect`` (None or "auto": detect), ``revisions`` the (shown path,
    text) of every revision file, already read by the static checks.
    """
    found: list[Evidence] = []
    if database_url:
        match = _SCHEME.match(database_url)
        if match and backend_of(match.group(1)):
            found.append(
                Evidence(
                    backend=str(backend_of(match.group(1))),
                    tier=OPTION,
                    where="--database-url",
                    what="the server given",
                )
            )
    if option and option != "auto":
        found.append(Evidence(backend=option, tier=OPTION, where="--dialect", what=option))
    for shown, text in revisions:
        found += _dialect_code(text, shown, REVISIONS)
    env_text = (_read(env_py) or "") if env_py is not None else ""
    if env_py is not None:
        env_shown = _rel(root, env_py)
        found += _dialect_code(env_text, env_shown, ENV_PY)
        found += _urls(env_text, env_shown, ENV_PY)
    if ini_url:
        tier = INI_OVERRIDDEN if _OWN_URL.search(env_text) else INI
        found += _urls(ini_url, "alembic.ini sqlalchemy.url", tier, skip_placeholder=True)
    revision_paths = {root / shown for shown, _ in revisions}
    if env_py is not None:
        revision_paths.add(env_py)
    for path in _python_files(root, revision_paths):
        source = _read(path)
        if not source:
            continue
        shown = _rel(root, path)
        found += _dialect_code(source, shown, MODELS)
        found += _urls(source, shown, SETTINGS)
        found += _settings(source, shown)
    found += _project_files(root)
    return decide(found)


def _root_file(root: Path, name: str) -> str:
    path = root / name
    return (_read(path) or "") if path.is_file() else ""


def _project_files(root: Path) -> Iterator[Evidence]:
    """Evidence in .env files, docker compose services and dependency lists."""
    for name in _SETTINGS_FILES:
        text = _root_file(root, name)
        yield from _urls(text, name, SETTINGS)
        yield from _settings(text, name)
    for name in _COMPOSE_FILES:
        text = _root_file(root, name)
        for match in _COMPOSE_IMAGE.finditer(text):
            image = match.group(1).lower()
            yield Evidence(
                backend="postgresql" if image in ("postgres", "postgis") else "mysql",
                tier=SETTINGS,
                where=f"{name}:{_line_of(text, match.start())}",
                what=f"a {image} service",
            )
    for name in _DEPENDENCY_FILES:
        text = _root_file(root, name)
        for backend, pattern in _DEPENDENCY.items():
            for match in pattern.finditer(text):
                package = match.group(1).lower()
                yield Evidence(
                    backend=backend,
                    tier=DEPENDENCIES,
                    where=f"{name}:{_line_of(text, match.start())}",
                    what=f"depends on {package.rstrip('[')}",
                    driver=_DEP_DRIVER.get(package),
                )


def decide(found: list[Evidence]) -> Engine:
    """The engine the strongest evidence names (a server engine beats SQLite in a tier)."""
    ordered = sorted(found, key=lambda e: -e.tier)
    decided: Evidence | None = None
    for tier in sorted({e.tier for e in found}, reverse=True):
        here = [e for e in ordered if e.tier == tier]
        # SQLite in the same tier as a server engine is a development fallback.
        servers = [e for e in here if e.backend != "sqlite"]
        pick = servers or here
        counts: dict[str, int] = {}
        for e in pick:
            counts[e.backend] = counts.get(e.backend, 0) + 1
        best = max(counts, key=lambda b: (counts[b], b == "postgresql"))
        decided = next(e for e in pick if e.backend == best)
        break
    backend = decided.backend if decided is not None else "sqlite"
    drivers: list[str] = []
    for e in ordered:
        if e.backend == backend and e.driver and e.driver not in drivers:
            drivers.append(e.driver)
    return Engine(
        backend=backend,
        decided_by=decided,
        evidence=tuple(e for e in ordered if e.backend == backend),
        drivers=tuple(drivers),
    )


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
