"""Are all models imported by env.py? (pytest-alembic's experimental check; loaded by path).

``alembic revision --autogenerate`` only sees the tables registered on ``target_metadata``
when env.py has run: a model module that nothing env.py imports imports is invisible, and
autogenerate proposes to drop its table. The check imports every module of the packages
that define the models (importing has side effects: this runs last, and only when asked)
and reports each table that appears only then, at the class or table that defines it.
Standard library and the project's own modules only: no qualgate imports.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
from typing import Any


def _metadatas(target: Any) -> list[Any]:
    if target is None:
        return []
    return list(target) if isinstance(target, (list, tuple)) else [target]


def _inside(path: str | None, root: str) -> bool:
    if not path:
        return False
    real = os.path.realpath(path)
    if "site-packages" in real.split(os.sep):
        return False
    return real == root or real.startswith(root + os.sep)


def _owners(metadatas: list[Any], root: str, skip: str) -> list[str]:
    """Names of the project's modules holding the metadata, a base or a mapped class of it
    (env.py and the revision files, under ``skip``, excepted)."""
    wanted = {id(m) for m in metadatas}
    found: list[str] = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if module is None or not _inside(path, root) or _inside(path, skip):
            continue
        for value in list(vars(module).values()):
            if id(value) in wanted or id(getattr(value, "metadata", None)) in wanted:
                found.append(name)
                break
    return found


def _packages(owners: list[str]) -> list[str]:
    """The package to walk for each owner module: its top-level package, or itself."""
    out: list[str] = []
    for name in owners:
        top = name.split(".", 1)[0]
        module = sys.modules.get(top)
        pick = top if module is not None and hasattr(module, "__path__") else name
        if pick not in out:
            out.append(pick)
    return out


def _import_all(package: str, failed: list[str]) -> None:
    module = sys.modules.get(package) or importlib.import_module(package)
    paths = getattr(module, "__path__", None)
    if paths is None:
        return
    for info in pkgutil.walk_packages(paths, prefix=f"{package}."):
        if info.name.rsplit(".", 1)[-1].startswith(("test", "conftest")):
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - a module that cannot import is reported
            failed.append(f"{info.name}: {type(exc).__name__}")


def _where(table: Any, metadatas: list[Any], root: str) -> tuple[str | None, int | None, str]:
    """(file, line, what) of the class or Table() defining ``table``."""
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if module is None or not _inside(path, root):
            continue
        for attr, value in list(vars(module).items()):
            if getattr(value, "__table__", None) is table and inspect.isclass(value):
                try:
                    line = inspect.getsourcelines(value)[1]
                except (OSError, TypeError):
                    line = None
                return path, line, f"class {attr} in {name}"
            if value is table:
                return path, None, f"{attr} in {name}"
    return None, None, "an imported module"


def check(target_metadata: Any, root: str, script_location: str) -> dict[str, Any]:
    """{"checked", "reason", "missing": [{table, path, line, what}], "failed": [...]}"""
    metadatas = _metadatas(target_metadata)
    if not metadatas:
        return {"checked": False, "reason": "env.py passes no target_metadata"}
    root = os.path.realpath(root)
    before = {key for m in metadatas for key in m.tables}
    packages = _packages(_owners(metadatas, root, os.path.realpath(script_location)))
    if not packages:
        return {"checked": False, "reason": "no module of the project defines the models"}
    failed: list[str] = []
    for package in packages:
        try:
            _import_all(package, failed)
        except Exception as exc:  # noqa: BLE001
            failed.append(f"{package}: {type(exc).__name__}")
    missing = []
    for metadata in metadatas:
        for key, table in metadata.tables.items():
            if key in before:
                continue
            path, line, what = _where(table, metadatas, root)
            missing.append(
                {
                    "table": key,
                    "path": os.path.relpath(path, root) if path else None,
                    "line": line,
                    "what": what,
                }
            )
    return {
        "checked": True,
        "packages": packages,
        "missing": sorted(missing, key=lambda m: m["table"]),
        "failed": failed[:20],
    }
