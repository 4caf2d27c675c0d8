"""Create a project's SQLAlchemy metadata on a database, run in the project's interpreter.

Usage: ``python metadata_worker.py MODULE:ATTR`` with the target URL in the environment
variable ``QUALGATE_SEED_URL`` (never on the command line, where ``ps`` would show a
password). The project's ``src/`` and root go first on ``sys.path``. Prints one JSON line:
``{"ok": true, "tables": [...]}`` or ``{"error": "..."}``. Imports nothing from qualgate,
because the project's interpreter need not have it.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any


def _fail(message: str) -> None:
    print(json.dumps({"error": message}))  # noqa: T201 - the report channel
    sys.exit(3)


# Sync drivers tried, best first, when the URL names none the project has.
_DRIVERS = {
    "postgresql": ("psycopg", "psycopg2", "pg8000"),
    "mysql": ("pymysql", "mysqldb"),
    "mariadb": ("pymysql", "mysqldb"),
}


def _engine(raw: str, preferred: str) -> Any:
    """An engine on ``raw`` through a sync driver this interpreter has."""
    import importlib.util

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(raw)
    backend = url.get_backend_name()
    if "+" in url.drivername or backend not in _DRIVERS:
        return create_engine(url)
    wanted = [d for d in preferred.split(",") if d and not d.startswith(("async", "aio"))]
    for driver in (*wanted, *_DRIVERS[backend]):
        try:
            dialect = make_url(f"{backend}+{driver}://").get_dialect()
            module = {"mysqldb": "MySQLdb", "psycopg": "psycopg"}.get(driver, dialect.driver)
            if importlib.util.find_spec(module) is not None:
                return create_engine(url.set(drivername=f"{backend}+{driver}"))
        except Exception:  # noqa: BLE001, S112 - an unknown driver: try the next one
            continue
    _fail(f"the project's interpreter has no {backend} driver (pip install psycopg2-binary)")


def main(argv: list[str]) -> None:
    spec = argv[1]
    root = os.getcwd()
    for path in (os.path.join(root, "src"), root):
        if os.path.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)
    module_name, _, attribute = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is reported, not raised
        _fail(f"cannot import {module_name}: {type(exc).__name__}: {exc}")
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            _fail(f"{module_name} has no attribute {attribute}")
    # Accept a MetaData, or a declarative base / model class that carries one.
    metadata = getattr(target, "metadata", target)
    if not hasattr(metadata, "create_all") or not hasattr(metadata, "tables"):
        _fail(f"{spec} is not SQLAlchemy MetaData (nor a declarative base)")
    engine = _engine(os.environ["QUALGATE_SEED_URL"], os.environ.get("QUALGATE_SEED_DRIVERS", ""))
    try:
        metadata.create_all(engine)
    except Exception as exc:  # noqa: BLE001 - reported to the gate as a schema error
        _fail(f"create_all failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    print(json.dumps({"ok": True, "tables": sorted(metadata.tables)}))  # noqa: T201


if __name__ == "__main__":
    main(sys.argv)
