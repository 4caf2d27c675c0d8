"""Generate a project's OpenAPI document from its app, in the project's interpreter.

Run by path: ``python -B spec_worker.py``, with the working directory at the project
root and, in the environment:

- ``QUALGATE_APP``: ``module:attr`` (an app object, or a factory called without
  arguments), or ``django`` for Django REST framework with drf-spectacular (the
  settings module in ``DJANGO_SETTINGS_MODULE``);
- ``QUALGATE_SPEC_OUT``: the file to write the result to (JSON), so whatever the app
  prints while importing cannot garble it.

Supported: FastAPI, Starlette (its SchemaGenerator), Litestar, Django Ninja
(``NinjaAPI``), DRF + drf-spectacular, flask-smorest (``Api``, or a Flask app holding
one) and apispec (``APISpec``).

Nothing is served and no database is touched: before the project is imported, sockets
may not connect, listen or resolve names, SQLite may not open a file, SQLAlchemy's
``create_all``/``drop_all`` do nothing, Django may not connect, and ``uvicorn.run`` /
``Flask.run`` return at once. What was refused is reported (``blocked``).

The result: ``{"ok": true, "framework", "target", "spec", "sources", "app_source",
"blocked"}`` where ``sources`` maps JSON pointers of the spec (operations, component
schemas, their properties) to ``[path relative to the root, line]`` in the code that
declares them; or ``{"ok": false, "error", "where"}``. Standard library only, and
Python 3.8 syntax: it imports nothing of qualgate, which the project's interpreter
need not have.
"""

from __future__ import annotations

import ast
import errno
import importlib
import importlib.abc
import inspect
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

ROOT = os.path.realpath(os.getcwd())
BLOCKED: list[str] = []
_HERE = os.path.dirname(os.path.realpath(__file__))


class WorkerError(Exception):
    """A reason the spec could not be generated, with where in the project it arose."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


# ---------------------------------------------------------------------------
# The guard: no network, no server, no database while the app is imported


def _refuse(what: str) -> None:
    BLOCKED.append(what)


def _install_socket_guard() -> None:
    import socket

    def connect(self: Any, address: Any, *args: Any) -> None:
        _refuse(f"connect to {address!r}")
        raise ConnectionRefusedError(
            errno.ECONNREFUSED,
            f"qualgate: network access is blocked while generating the OpenAPI document "
            f"(connect to {address!r})",
        )

    def connect_ex(self: Any, address: Any, *args: Any) -> int:
        _refuse(f"connect to {address!r}")
        return errno.ECONNREFUSED

    def listen(self: Any, *args: Any) -> None:
        # Binding alone serves nothing (urllib3 binds ::1 port 0 to detect IPv6 at
        # import); listening does.
        _refuse(f"listen on {self.getsockname()!r}")
        raise PermissionError(
            errno.EACCES,
            "qualgate: starting a server is blocked while generating the OpenAPI document",
        )

    def sendto(self: Any, *args: Any) -> int:
        _refuse("sendto")
        raise PermissionError(errno.EACCES, "qualgate: network access is blocked")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse(f"resolve {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, "qualgate: name resolution is blocked")

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.listen = listen  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


def _noop(what: str) -> Callable[..., None]:
    def run(*args: Any, **kwargs: Any) -> None:
        _refuse(what)

    return run


def _patch_sqlite3(module: Any) -> None:
    real = module.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        name = str(database)
        if name == ":memory:" or name.startswith("file::memory:") or "mode=memory" in name:
            return real(database, *args, **kwargs)
        _refuse(f"open SQLite database {name!r}")
        raise module.OperationalError(
            f"qualgate: opening the database {name!r} is blocked while generating the "
            "OpenAPI document"
        )

    module.connect = connect


def _patch_sqlalchemy_schema(module: Any) -> None:
    # `Base.metadata.create_all(engine)` at import time (FastAPI's SQL tutorial) would
    # create tables: it does nothing instead, so the app still imports.
    module.MetaData.create_all = _noop("MetaData.create_all")
    module.MetaData.drop_all = _noop("MetaData.drop_all")


def _patch_driver(module: Any) -> None:
    if hasattr(module, "connect"):

        def connect(*args: Any, **kwargs: Any) -> None:
            _refuse(f"{module.__name__}.connect")
            raise ConnectionRefusedError(
                errno.ECONNREFUSED,
                f"qualgate: {module.__name__}.connect is blocked while generating the "
                "OpenAPI document",
            )

        module.connect = connect


def _patch_uvicorn(module: Any) -> None:
    module.run = _noop("uvicorn.run")


def _patch_flask(module: Any) -> None:
    module.Flask.run = _noop("Flask.run")


def _patch_werkzeug_serving(module: Any) -> None:
    module.run_simple = _noop("werkzeug run_simple")


# Module name -> what to patch once it is imported (C drivers bypass Python sockets).
_PATCHES: dict[str, Callable[[Any], None]] = {
    "sqlite3": _patch_sqlite3,
    "sqlalchemy.sql.schema": _patch_sqlalchemy_schema,
    "psycopg2": _patch_driver,
    "psycopg": _patch_driver,
    "MySQLdb": _patch_driver,
    "pymysql": _patch_driver,
    "asyncpg": _patch_driver,
    "redis": _patch_driver,
    "uvicorn": _patch_uvicorn,
    "flask": _patch_flask,
    "werkzeug.serving": _patch_werkzeug_serving,
}


class _PatchingFinder(importlib.abc.MetaPathFinder):
    """Applies `_PATCHES` to a module right after it is first executed."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _PATCHES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                loader = spec.loader
                original = loader.exec_module

                def exec_module(module: Any, _original: Any = original) -> None:
                    _original(module)
                    _PATCHES[module.__name__](module)

                loader.exec_module = exec_module  # type: ignore[method-assign]
                return spec
        return None


def install_guard() -> None:
    _install_socket_guard()
    for name, patch in _PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _PatchingFinder())


def _guard_django() -> None:
    from django.db.backends.base import base  # type: ignore[import-not-found]

    def connect(self: Any) -> None:
        _refuse(f"Django database {self.alias!r}")
        raise ConnectionRefusedError(
            errno.ECONNREFUSED,
            "qualgate: Django database access is blocked while generating the OpenAPI document",
        )

    base.BaseDatabaseWrapper.connect = connect


# ---------------------------------------------------------------------------
# Locating things in the project


def relpath(path: str | None) -> str | None:
    if not path or not os.path.isfile(path):
        return None
    real = os.path.realpath(path)
    if not real.startswith(ROOT + os.sep):
        return None
    rel = os.path.relpath(real, ROOT)
    parts = rel.split(os.sep)
    if any(p in (".venv", "venv", "site-packages", "node_modules") for p in parts):
        return None
    return rel.replace(os.sep, "/")


def source_of(obj: Any) -> tuple[str, int] | None:
    """(root-relative file, line) where a function or class is declared."""
    try:
        obj = inspect.unwrap(obj)
    except ValueError:
        return None
    func = getattr(obj, "__func__", obj)
    try:
        path = inspect.getsourcefile(func)
    except TypeError:
        return None
    rel = relpath(path)
    if rel is None:
        return None
    code = getattr(func, "__code__", None)
    if code is not None:
        return rel, code.co_firstlineno
    found = _classes_in(rel).get(getattr(func, "__name__", ""))
    return rel, found[0] if found else 1


def _where(exc: BaseException) -> str:
    """The innermost frame of ``exc`` inside the project, as ``path:line`` (for a
    syntax error, the file and line that do not parse)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        rel = relpath(exc.filename)
        if rel is not None:
            return f"{rel}:{exc.lineno or 1}"
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        rel = relpath(frame.filename)
        if rel is not None and not frame.filename.startswith(_HERE):
            found = f"{rel}:{frame.lineno}"
    return found


# Per project file: class name -> (line of its first decorator or `class`, field lines).
# One parse per file: inspect.getsourcelines parses the whole file again for every
# class (100 models in one file: 5 s).
_CLASS_INDEX: dict[str, dict[str, tuple[int, dict[str, int]]]] = {}


def _classes_in(path: str) -> dict[str, tuple[int, dict[str, int]]]:
    if path not in _CLASS_INDEX:
        classes: dict[str, tuple[int, dict[str, int]]] = {}
        try:
            with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
        except (OSError, SyntaxError, ValueError, RecursionError):
            tree = None
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.ClassDef):
                fields: dict[str, int] = {}
                for item in node.body:
                    targets: list[Any] = []
                    if isinstance(item, ast.AnnAssign):
                        targets = [item.target]
                    elif isinstance(item, ast.Assign):
                        targets = list(item.targets)
                    for target in targets:
                        if isinstance(target, ast.Name):
                            fields.setdefault(target.id, item.lineno)
                line = min([d.lineno for d in node.decorator_list] + [node.lineno])
                classes.setdefault(node.name, (line, fields))
        _CLASS_INDEX[path] = classes
    return _CLASS_INDEX[path]


def _class_fields(path: str, name: str) -> dict[str, int]:
    """Line of each attribute declared in the body of class ``name`` in ``path``."""
    found = _classes_in(path).get(name)
    return found[1] if found else {}


def _project_classes() -> dict[str, list[tuple[str, int, str, bool]]]:
    """Classes declared in the project's modules: name -> [(file, line, class name,
    whether it is a schema class: Pydantic, marshmallow, DRF, msgspec, a dataclass)]."""
    out: dict[str, list[tuple[str, int, str, bool]]] = {}
    for module in list(sys.modules.values()):
        rel = relpath(getattr(module, "__file__", None) or "")
        if rel is None:
            continue
        index = _classes_in(rel)
        for value in list(vars(module).values()):
            if not inspect.isclass(value) or getattr(value, "__module__", None) != module.__name__:
                continue
            found = index.get(value.__name__)
            if found is None:
                continue
            schema_like = hasattr(value, "__dataclass_fields__") or any(
                base.__name__ in _SCHEMA_BASES for base in value.__mro__[1:]
            )
            out.setdefault(value.__name__, []).append((rel, found[0], value.__name__, schema_like))
    return out


_SCHEMA_BASES = frozenset(
    ("BaseModel", "Schema", "Serializer", "ModelSerializer", "Struct", "TypedDict", "ModelSchema")
)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def component_sources(spec: dict[str, Any], sources: dict[str, Any]) -> None:
    """Point each component schema (and its properties) at the class declaring it."""
    schemas = (spec.get("components") or {}).get("schemas") or spec.get("definitions") or {}
    base = "/components/schemas" if "components" in spec else "/definitions"
    classes = _project_classes()
    for name, schema in schemas.items():
        properties = schema.get("properties") if isinstance(schema, dict) else None
        wanted = set(properties or ())
        best, best_score = None, -1
        for rank, candidate in enumerate(_candidates(name)):
            for rel, line, class_name, schema_like in classes.get(candidate, ()):
                overlap = len(wanted & set(_class_fields(rel, class_name)))
                score = (2 if schema_like else 0) * 1000 + overlap * 10 - rank
                if score > best_score:
                    best, best_score = (rel, line, class_name), score
        if best is None:
            continue
        rel, line, class_name = best
        pointer = f"{base}/{_escape(name)}"
        sources[pointer] = [rel, line]
        fields = _class_fields(rel, class_name)
        for prop in properties or {}:
            # An alias generator writes `articles_count` as `articlesCount`.
            field = prop if prop in fields else _snake(prop)
            if field in fields:
                sources[f"{pointer}/properties/{_escape(prop)}"] = [rel, fields[field]]


def _snake(name: str) -> str:
    out = []
    for index, ch in enumerate(name):
        if ch.isupper() and index:
            out.append("_")
        out.append(ch.lower())
    return "".join(out).replace("-", "_")


def _candidates(name: str) -> list[str]:
    """Class names a component name may come from, in each framework's naming."""
    names = [name]
    for suffix in ("-Input", "-Output", "Request", "Response"):
        if name.endswith(suffix):
            names.append(name[: -len(suffix)])
    names += [n.rsplit("__", 1)[-1] for n in list(names) if "__" in n]
    names += [n.rsplit(".", 1)[-1] for n in list(names) if "." in n]
    names += [n + suffix for n in list(names) for suffix in ("Schema", "Serializer", "Model")]
    return names


# ---------------------------------------------------------------------------
# Importing the target


def _ensure_paths() -> None:
    if sys.path and os.path.realpath(sys.path[0]) == _HERE:
        sys.path.pop(0)  # our folder: its module names must not shadow the project's
    for path in (os.path.join(ROOT, "src"), ROOT):
        if os.path.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)


def _django_setup() -> None:
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return
    try:
        import django  # type: ignore[import-not-found]
    except ImportError:
        return
    try:
        django.setup()
    except Exception as exc:
        raise WorkerError(
            f"Django settings {os.environ['DJANGO_SETTINGS_MODULE']} failed to load: "
            f"{type(exc).__name__}: {exc}",
            _where(exc),
        ) from exc
    _guard_django()


def load_target(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise WorkerError(
            f"importing {module_name} failed: {type(exc).__name__}: {exc}", _where(exc)
        ) from exc
    except SystemExit as exc:
        raise WorkerError(f"importing {module_name} called sys.exit({exc.code!r})") from exc
    for part in (attribute or "app").split("."):
        if not hasattr(obj, part):
            raise WorkerError(f"{module_name} has no attribute {attribute or 'app'!r}")
        obj = getattr(obj, part)
    if inspect.isfunction(obj):  # an app factory: create_app()
        try:
            obj = obj()
        except Exception as exc:
            raise WorkerError(
                f"calling {target}() failed: {type(exc).__name__}: {exc}", _where(exc)
            ) from exc
    return obj


def _kind(obj: Any) -> str:
    for cls in type(obj).__mro__:
        module, name = cls.__module__, cls.__name__
        if module.startswith("fastapi") and name == "FastAPI":
            return "fastapi"
        if module.startswith("litestar") and name == "Litestar":
            return "litestar"
        if module.startswith("ninja") and name == "NinjaAPI":
            return "ninja"
        if module.startswith("flask_smorest") and name == "Api":
            return "flask-smorest"
        if module.startswith("apispec") and name == "APISpec":
            return "apispec"
        if module.startswith("flask") and name == "Flask":
            return "flask"
        if module.startswith("starlette") and name == "Starlette":
            return "starlette"
    return ""


# ---------------------------------------------------------------------------
# Generating, framework by framework: (framework, spec, operation sources)

Sources = dict[tuple[str, str], Any]  # (path template, method) -> the function serving it


def _fastapi(app: Any) -> tuple[dict[str, Any], Sources]:
    spec = app.openapi()
    return spec, _starlette_routes(app.routes)


def _starlette_routes(routes: Any, prefix: str = "") -> Sources:
    found: Sources = {}
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            # FastAPI >= 0.160 includes routers lazily: each context is a route with its
            # full path (FastAPI's own openapi() walks the same contexts).
            for context in contexts():
                original = getattr(context, "original_route", None)
                methods = getattr(original, "methods", None) or ()
                endpoint = getattr(context, "endpoint", None)
                for method in methods:
                    found[(prefix + str(getattr(context, "path", "")), method.lower())] = endpoint
            continue
        path = prefix + getattr(route, "path_format", getattr(route, "path", ""))
        endpoint = getattr(route, "endpoint", None)
        methods = getattr(route, "methods", None) or ()
        if endpoint is not None:
            for method in methods:
                found[(path, method.lower())] = endpoint
            if inspect.isclass(endpoint):  # HTTPEndpoint: one method per verb
                for verb in ("get", "post", "put", "patch", "delete"):
                    if hasattr(endpoint, verb):
                        found[(path, verb)] = getattr(endpoint, verb)
        sub = getattr(route, "routes", None)
        if sub and endpoint is None:
            found.update(_starlette_routes(sub, path))
    return found


def _starlette(app: Any, module: Any) -> tuple[dict[str, Any], Sources]:
    from starlette.schemas import BaseSchemaGenerator, SchemaGenerator

    generator = None
    for value in vars(module).values() if module is not None else ():
        if isinstance(value, BaseSchemaGenerator):
            generator = value
            break
    if generator is None:
        generator = SchemaGenerator(
            {"openapi": "3.0.0", "info": {"title": "API", "version": "0.1.0"}}
        )
    return generator.get_schema(routes=app.routes), _starlette_routes(app.routes)


def _litestar(app: Any) -> tuple[dict[str, Any], Sources]:
    spec = app.openapi_schema.to_schema()
    found: Sources = {}
    for route in app.routes:
        path = _strip_converters(
            str(getattr(route, "path_format", None) or getattr(route, "path", ""))
        )
        for handler in getattr(route, "route_handlers", ()) or ():
            fn = getattr(handler, "fn", None)
            fn = getattr(fn, "value", fn)
            for method in getattr(handler, "http_methods", ()) or ():
                found[(path, str(method).lower())] = fn
    return spec, found


def _strip_converters(path: str) -> str:
    out, depth, skip = [], 0, False
    for ch in path:
        if ch == "{":
            depth, skip = depth + 1, False
        elif ch == "}":
            depth, skip = depth - 1, False
        elif ch == ":" and depth:
            skip = True
            continue
        if not skip:
            out.append(ch)
    return "".join(out)


def _ninja(api: Any) -> tuple[dict[str, Any], Sources]:
    try:
        spec = api.get_openapi_schema()
    except Exception:  # noqa: BLE001 - not routed in the URLconf: no root path to prefix
        spec = api.get_openapi_schema(path_prefix="")
    spec = json.loads(json.dumps(spec, default=str))
    found: Sources = {}
    for _prefix, router in getattr(api, "_routers", ()):
        for view in getattr(router, "path_operations", {}).values():
            for op in getattr(view, "operations", ()):
                namer = getattr(api, "get_openapi_operation_id", None)
                op_id = namer(op) if namer is not None else None
                if op_id:
                    found[("operationId", op_id)] = op.view_func
    return spec, found


def _drf() -> tuple[dict[str, Any], Sources]:
    try:
        from drf_spectacular.generators import (  # type: ignore[import-not-found]
            SchemaGenerator,
        )
    except ImportError as exc:
        raise WorkerError(
            "Django REST framework without drf-spectacular: install drf-spectacular (the "
            "schema generator this gate uses for DRF)"
        ) from exc
    generator = SchemaGenerator()
    spec = generator.get_schema(request=None, public=True)
    spec = json.loads(json.dumps(spec, default=str))
    return spec, {("django", ""): None}


def _flask_smorest(api: Any) -> tuple[dict[str, Any], Sources]:
    app = getattr(api, "_app", None)
    spec = api.spec.to_dict()
    return json.loads(json.dumps(spec, default=str)), {("flask", ""): app}


def _flask(app: Any) -> tuple[str, dict[str, Any], Sources]:
    apis = (app.extensions.get("flask-smorest") or {}).get("apis") or {}
    for entry in apis.values():
        api = entry.get("ext_obj") if isinstance(entry, dict) else None
        if api is not None:
            return "flask-smorest", _flask_smorest(api)[0], {("flask", ""): app}
    raise WorkerError("a Flask app without flask-smorest: no OpenAPI document to generate")


def generate(target: str) -> tuple[str, dict[str, Any], Sources, Any]:
    """(framework, spec, operation sources, the app object) for ``target``."""
    if target == "django":
        _django_setup()
        spec, found = _drf()
        return "drf-spectacular", spec, found, None
    _django_setup()
    obj = load_target(target)
    module = sys.modules.get(target.partition(":")[0])
    kind = _kind(obj)
    try:
        if kind == "fastapi":
            return (kind, *_fastapi(obj), obj)
        if kind == "litestar":
            return (kind, *_litestar(obj), obj)
        if kind == "ninja":
            return (kind, *_ninja(obj), obj)
        if kind == "flask-smorest":
            return (kind, *_flask_smorest(obj), obj)
        if kind == "flask":
            framework, spec, found = _flask(obj)
            return framework, spec, found, obj
        if kind == "apispec":
            return kind, json.loads(json.dumps(obj.to_dict(), default=str)), {}, obj
        if kind == "starlette":
            return (kind, *_starlette(obj, module), obj)
    except WorkerError:
        raise
    except Exception as exc:
        raise WorkerError(
            f"generating the OpenAPI document of {target} failed: {type(exc).__name__}: {exc}",
            _where(exc),
        ) from exc
    raise WorkerError(
        f"{target} is a {type(obj).__module__}.{type(obj).__name__}, not an app this gate can "
        "generate an OpenAPI document from (FastAPI, Starlette, Litestar, NinjaAPI, "
        "flask-smorest Api, APISpec)"
    )


# ---------------------------------------------------------------------------
# Mapping operations to the functions that serve them

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operation_sources(spec: dict[str, Any], found: Sources, app: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            candidates = [found.get((path, method))]
            if op.get("operationId"):
                candidates.append(found.get(("operationId", op["operationId"])))
            if ("django", "") in found:
                candidates += _django_view(path, method)
            if ("flask", "") in found:
                candidates += _flask_view(found[("flask", "")], path, method)
            where = None
            for fn in candidates:
                where = source_of(fn) if fn is not None else None
                if where is not None:
                    break
            if where is not None:
                out[f"/paths/{_escape(path)}/{method}"] = list(where)
                # The path itself (a trailing slash, an ambiguity): its first operation.
                out.setdefault(f"/paths/{_escape(path)}", list(where))
    return out


def _samples(path: str) -> list[str]:
    import re

    return [
        re.sub(r"\{[^{}]*\}", value, path)
        for value in ("1", "00000000-0000-0000-0000-000000000001", "x")
    ]


def _django_view(path: str, method: str) -> list[Any]:
    """The view method serving ``method path``, then its class (a ViewSet's ``list``
    may be inherited from DRF itself, outside the project)."""
    from django.urls import Resolver404, resolve  # type: ignore[import-not-found]

    for sample in _samples(path):
        try:
            match = resolve(sample)
        except Resolver404:
            continue
        func = match.func
        cls = getattr(func, "cls", None) or getattr(func, "view_class", None)
        if cls is not None:
            actions = getattr(func, "actions", None) or {}
            return [getattr(cls, actions.get(method, method), None), cls]
        return [func]
    return []


def _flask_view(app: Any, path: str, method: str) -> list[Any]:
    if app is None:
        return []
    adapter = app.url_map.bind("localhost")
    for sample in _samples(path):
        try:
            endpoint, _args = adapter.match(sample, method=method.upper())
        except Exception:  # noqa: BLE001, S112 - werkzeug's NotFound / MethodNotAllowed
            continue
        view = app.view_functions.get(endpoint)
        cls = getattr(view, "view_class", None)
        if cls is not None:
            return [getattr(cls, method, None), cls]
        return [view]
    return []


def app_source(target: str, app: Any) -> list[Any] | None:
    """Where the app is defined: the line of ``attr = ...`` in its module."""
    module_name, _, attribute = target.partition(":")
    module = sys.modules.get(module_name)
    rel = relpath(getattr(module, "__file__", None) or "")
    if rel is None:
        return None
    name = (attribute or "app").split(".")[0]
    try:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return [rel, 1]
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, (ast.AnnAssign, ast.FunctionDef)):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else []
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return [rel, node.lineno]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return [rel, node.lineno]
    return [rel, 1]


def _settings_source() -> list[Any] | None:
    name = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    module = sys.modules.get(name)
    rel = relpath(getattr(module, "__file__", None) or "")
    return [rel, 1] if rel else None


def main() -> int:
    out_path = os.environ["QUALGATE_SPEC_OUT"]
    target = os.environ["QUALGATE_APP"]
    os.environ.setdefault("QUALGATE_GENERATING_OPENAPI", "1")
    _ensure_paths()
    install_guard()
    try:
        framework, spec, found, app = generate(target)
        if not isinstance(spec, dict):
            raise WorkerError(f"the generated document is a {type(spec).__name__}, not a mapping")
        sources = operation_sources(spec, found, app)
        component_sources(spec, sources)
        where = app_source(target, app) if target != "django" else _settings_source()
        result: dict[str, Any] = {
            "ok": True,
            "framework": framework,
            "target": target,
            "spec": spec,
            "sources": sources,
            "app_source": where,
            "blocked": BLOCKED[:20],
        }
        text = json.dumps(result, default=str)
    except WorkerError as exc:
        text = json.dumps(
            {"ok": False, "error": str(exc), "where": exc.where, "blocked": BLOCKED[:20]}
        )
    except Exception as exc:  # noqa: BLE001 - every fault is reported, never a traceback
        text = json.dumps(
            {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "where": _where(exc),
                "blocked": BLOCKED[:20],
            }
        )
    with open(out_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
