"""Finding the project's API app without running anything: a read of its Python sources.

Candidates, best first: a module-level ``app = FastAPI(...)`` (or Starlette, Litestar,
``NinjaAPI``, flask-smorest ``Api``, apispec ``APISpec``); Django REST framework with
drf-spectacular in the settings ``manage.py`` names; a module-level ``app = create_app()``
or an app factory function in a module that imports a supported framework; a module-level
``app = <factory>(...)`` in a module that imports none, the factory defined in one that does. Tests,
migrations, docs, examples and environment folders are not searched. The candidate is
only a name (``module:attr``): generating imports it in the project's interpreter
(`appspec`).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

from qualgate.fsutil import read_text_bounded
from qualgate.gates.openapi_lint.discovery import SKIP_DIRS

# Folders whose apps are not the project's API (test apps, sample apps, migrations).
_NOT_SOURCES = frozenset(
    ("tests", "test", "testing", "docs", "doc", "examples", "example", "migrations", "scripts")
)
_MAX_FILES = 5000
_MAX_BYTES = 2 * 1024 * 1024
# Constructor -> framework, when the module imports that framework.
_CONSTRUCTORS = {
    "FastAPI": "fastapi",
    "Starlette": "starlette",
    "Litestar": "litestar",
    "NinjaAPI": "ninja",
    "Api": "flask_smorest",
    "APISpec": "apispec",
}
_HINT = re.compile(r"\b(?:FastAPI|Starlette|Litestar|NinjaAPI|Api|APISpec)\s*\(")
_FRAMEWORK_IMPORT = re.compile(
    r"^\s*(?:from|import)\s+(fastapi|starlette|litestar|ninja|flask_smorest|apispec)\b", re.M
)
_FACTORY_NAMES = frozenset(("create_app", "make_app", "get_app", "get_application", "app_factory"))
_APP_NAMES = ("app", "api", "application")
_MAIN_FILES = ("main.py", "app.py", "asgi.py", "api.py", "server.py", "application.py", "wsgi.py")
_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """An app the project seems to define: what to import and where it was seen."""

    target: str  # module:attr, or "django" (DRF + drf-spectacular)
    framework: str
    path: str  # root-relative file
    line: int
    # DJANGO_SETTINGS_MODULE the app needs (Django Ninja, DRF), from manage.py.
    settings: str | None = None
    rank: tuple[int, ...] = ()


def detect(root: Path) -> list[Candidate]:
    """Every candidate, best first (empty when the project defines no app we know)."""
    settings = _django_settings(root)
    found: list[Candidate] = []
    # Factories (functions that build an app) by name, with their framework: a module that
    # imports no framework may still build the app with one (``app = create_application()``
    # in main.py, the factory in core/setup.py).
    factories: dict[str, str] = {}
    plain: list[Path] = []
    for path in _sources(root):
        read = _read(root, path)
        if read is None:
            continue
        text, module = read
        imported = set(_FRAMEWORK_IMPORT.findall(text))
        if not imported:
            plain.append(path)  # parsed only if it may build an app (below)
            continue
        tree = _tree(text)
        if tree is None:
            continue
        rel = path.relative_to(root).as_posix()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and _returns_app(node, imported):
                factories.setdefault(node.name, _framework_of(imported))
        found.extend(_candidates(tree, imported, rel, module, settings, bool(_HINT.search(text))))
    if factories:
        found.extend(_built_elsewhere(root, plain, factories))
    if settings is not None and _has_drf_spectacular(root, settings):
        found.append(
            Candidate(
                target="django",
                framework="drf-spectacular",
                path="manage.py",
                line=1,
                settings=settings,
                rank=(1, 0, 0, 0),
            )
        )
    return sorted(found, key=lambda c: (c.rank, c.path, c.target))


def _read(root: Path, path: Path) -> tuple[str, str] | None:
    """A source's text and module name (None: unreadable, or not importable by name)."""
    module = _module_name(root, path)
    if module is None:
        return None
    try:
        return read_text_bounded(path, _MAX_BYTES), module
    except (OSError, UnicodeDecodeError):
        return None


def _tree(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _built_elsewhere(root: Path, paths: list[Path], factories: dict[str, str]) -> list[Candidate]:
    """``app = <factory>(...)`` at module level in a module that imports no framework, the
    factory defined in one that does."""
    names = "|".join(re.escape(n) for n in sorted(factories))
    wanted = re.compile(
        rf"^(?:{'|'.join(_APP_NAMES)})\s*(?::[^=\n]*)?=\s*[\w.]*?\b(?:{names})\s*\(", re.M
    )
    out: list[Candidate] = []
    for path in paths:
        read = _read(root, path)
        tree = _tree(read[0]) if read is not None and wanted.search(read[0]) else None
        if read is None or tree is None:
            continue
        module = read[1]
        rel = path.relative_to(root).as_posix()
        for node in tree.body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            called = _called_name(value) if isinstance(value, ast.Call) else None
            targets = (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            )
            for target in targets:
                if isinstance(target, ast.Name) and target.id in _APP_NAMES and called in factories:
                    out.append(
                        Candidate(
                            target=f"{module}:{target.id}",
                            framework=factories[called].replace("_", "-"),
                            path=rel,
                            line=node.lineno,
                            rank=(1, 0, 0 if path.name in _MAIN_FILES else 1, rel.count("/")),
                        )
                    )
    return out


def _candidates(
    tree: ast.Module,
    imported: set[str],
    rel: str,
    module: str,
    settings: str | None,
    hinted: bool,
) -> list[Candidate]:
    out: list[Candidate] = []
    name = rel.rsplit("/", 1)[-1]
    file_rank = 0 if name in _MAIN_FILES else 1
    depth = rel.count("/")
    factories = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and _returns_app(node, imported)
    }
    assigned = False
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if not isinstance(value, ast.Call):
            continue
        called = _called_name(value) or ""
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            framework = _CONSTRUCTORS.get(called)
            if framework is not None and framework in imported and hinted:
                kind = 0
            elif target.id in _APP_NAMES and (called in factories or called in _FACTORY_NAMES):
                # app = create_application(): a factory, here or imported.
                framework, kind = _framework_of(imported), 1 if called in factories else 2
            else:
                continue
            assigned = True
            out.append(
                Candidate(
                    target=f"{module}:{target.id}",
                    framework=framework.replace("_", "-"),
                    path=rel,
                    line=node.lineno,
                    settings=settings if framework == "ninja" else None,
                    rank=(kind, 0 if target.id in _APP_NAMES else 1, file_rank, depth),
                )
            )
    if not assigned:
        # Only a factory (uvicorn --factory style): call it.
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in factories:
                out.append(
                    Candidate(
                        target=f"{module}:{node.name}",
                        framework=_framework_of(imported),
                        path=rel,
                        line=node.lineno,
                        settings=settings if "ninja" in imported else None,
                        rank=(3, 0 if node.name in _FACTORY_NAMES else 1, file_rank, depth),
                    )
                )
    return out


def _returns_app(node: ast.FunctionDef, imported: set[str]) -> bool:
    return any(
        isinstance(sub, ast.Call) and _CONSTRUCTORS.get(_called_name(sub) or "") in imported
        for sub in ast.walk(node)
    )


def _framework_of(imported: set[str]) -> str:
    for name in ("fastapi", "litestar", "ninja", "flask_smorest", "starlette", "apispec"):
        if name in imported:
            return name.replace("_", "-")
    return "unknown"


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _sources(root: Path) -> list[Path]:
    out: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_DIRS
            and d not in _NOT_SOURCES
            and not d.startswith(".")
            and not d.endswith(".egg-info")
        )
        for name in sorted(files):
            if not name.endswith(".py") or name.startswith("test_") or name.endswith("_test.py"):
                continue
            # The packaging and task scripts at the top, not a package's own setup module
            # (``app/core/setup.py`` often holds the app factory).
            if name == "conftest.py" or (
                name in ("setup.py", "noxfile.py") and folder == str(root)
            ):
                continue
            path = Path(folder) / name
            if path.is_symlink():
                continue
            out.append(path)
            if len(out) >= _MAX_FILES:
                return out
    return out


def _module_name(root: Path, path: Path) -> str | None:
    rel = path.relative_to(root)
    parts = list(rel.with_suffix("").parts)
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _django_settings(root: Path) -> str | None:
    manage = root / "manage.py"
    if not manage.is_file() or manage.is_symlink():
        return None
    try:
        match = _SETTINGS.search(read_text_bounded(manage, _MAX_BYTES))
    except (OSError, UnicodeDecodeError):
        return None
    return match.group(1) if match else None


def _has_drf_spectacular(root: Path, settings: str) -> bool:
    base = root / "src" if (root / "src" / settings.split(".")[0]).is_dir() else root
    parts = settings.split(".")
    for candidate in (
        base.joinpath(*parts).with_suffix(".py"),
        base.joinpath(*parts, "__init__.py"),
    ):
        if candidate.is_file():
            try:
                return "drf_spectacular" in read_text_bounded(candidate, _MAX_BYTES)
            except (OSError, UnicodeDecodeError):
                return False
    folder = base.joinpath(*parts)
    if folder.is_dir():  # a settings package: base.py, production.py...
        for path in sorted(folder.glob("*.py")):
            try:
                if "drf_spectacular" in read_text_bounded(path, _MAX_BYTES):
                    return True
            except (OSError, UnicodeDecodeError):
                continue
    return False
