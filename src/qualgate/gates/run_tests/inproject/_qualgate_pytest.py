"""qualgate's pytest plugin, loaded with ``-p _qualgate_pytest`` in the project's interpreter.

It writes one JSON object per line to ``$QUALGATE_RT_EVENTS`` as the session goes, so the
gate reads outcomes through a machine interface whatever the project's own pytest options
(``-q``, ``--tb=no``, ``-x``, a junit path of its own, xdist's ``-n``) and, when the suite
hangs and is killed, still knows which tests had started and not finished. It also

- cuts the deterministic ``--shard K/N`` slice (``$QUALGATE_RT_SHARD``) by test file,
  skipping other shards' test modules before they are imported (``pytest_ignore_collect``):
  files with durations in ``$QUALGATE_RT_DURATIONS`` are balanced greedily, heaviest
  first; any other file goes by a stable hash of its rootdir-relative path;
- labels coverage contexts ``qualgate:unit`` / ``qualgate:integration`` around each test when
  both kinds are selected, so the gate can tell what the integration tests reached alone;
- starts coverage.py in the controller and in each xdist worker, taking over from
  pytest-cov (``_qualgate_measure``);
- with ``$QUALGATE_RT_RERUNS`` = N, runs a failed test again at once, up to N times, so a
  test that fails and then passes is told apart as flaky (``_qualgate_rerun``).

Only the standard library, pytest, coverage and our sibling ``_qualgate_*`` modules are
imported: qualgate itself is usually not installed in the project's environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections.abc import Generator, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

try:  # imported as part of the qualgate package (qualgate's own unit tests)
    from . import _qualgate_covreport as covreport
    from . import _qualgate_measure as measure
    from . import _qualgate_rerun as rerun
except ImportError:  # loaded with `-p _qualgate_pytest` from the folder on PYTHONPATH
    import _qualgate_covreport as covreport  # type: ignore[import-not-found,no-redef]
    import _qualgate_measure as measure  # type: ignore[import-not-found,no-redef]
    import _qualgate_rerun as rerun  # type: ignore[import-not-found,no-redef]

_MESSAGE_LINES = 12
_MESSAGE_CHARS = 1500
UNIT_CONTEXT = "qualgate:unit"
INTEGRATION_CONTEXT = "qualgate:integration"


def _env(name: str) -> str:
    return os.environ.get(name, "")


class _Events:
    """Append-only JSON lines; each line is flushed so a killed run leaves what it saw."""

    def __init__(self, path: str) -> None:
        self.lock = threading.Lock()
        # O_APPEND: xdist's first worker and the controller may both write; whole lines
        # written with one call do not interleave on a local file system.
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if path else -1

    def write(self, event: dict[str, Any]) -> None:
        if self.fd < 0:
            return
        line = (json.dumps(event, default=str, ensure_ascii=False) + "\n").encode("utf-8")
        with self.lock:
            os.write(self.fd, line)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


_state: dict[str, Any] = {"switch": False, "category": None}
_sink: list[_Events] = []


def _events() -> _Events:
    if not _sink:
        _sink.append(_Events(_env("QUALGATE_RT_EVENTS")))
    return _sink[0]


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _worker_id(config: pytest.Config) -> str | None:
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        return str(workerinput.get("workerid"))
    return None


def _coverage() -> Any:
    """The coverage this plugin started in this process (None when not measuring)."""
    return measure.active()


# ---------------------------------------------------------------------------
# Session


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None, Any, None]:
    # Before every implementation (pytest-cov's included) and before any conftest.py is
    # imported: start measuring, and switch pytest-cov off for this run.
    problem = measure.begin(early_config)
    if problem is not None:
        _events().write(problem)
        if problem.get("problem") != "start" or not os.environ.get("PYTEST_XDIST_WORKER"):
            raise pytest.UsageError(f"qualgate: coverage cannot measure this run ({problem})")
    outcome = yield
    exc = outcome.excinfo[1] if outcome.excinfo else None
    # pytest's ConftestImportFailure: a conftest.py that does not import. pytest 8 keeps the
    # error as ``cause``, pytest 7 as ``excinfo`` (type, value, traceback).
    cause = getattr(exc, "cause", None)
    if cause is None and isinstance(getattr(exc, "excinfo", None), tuple):
        cause = exc.excinfo[1]  # type: ignore[union-attr]
    if exc is not None and hasattr(exc, "path") and isinstance(cause, BaseException):
        path = Path(str(exc.path))
        _events().write(
            {
                "event": "collect_error",
                "nodeid": path.name,
                "conftest": True,
                # No "start" event follows a broken conftest.py: say which Python failed.
                "python": ".".join(str(n) for n in sys.version_info[:3]),
                "error": _import_error(path, cause, Path(str(early_config.rootpath))),
                "text": "",
            }
        )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _state["reruns"] = rerun.configure(config)
    manager = config.pluginmanager
    if _state["reruns"] and not manager.has_plugin("qualgate-reruns"):
        manager.register(Reruns(), "qualgate-reruns")
    if measure.takes_no_cover() and not manager.has_plugin("qualgate-no-cover"):
        manager.register(NoCover(), "qualgate-no-cover")
    if not _is_worker(config):
        cov = _coverage()
        cov_module = sys.modules.get("coverage")
        measured = measure.info()
        _events().write(
            {
                "event": "start",
                "pytest": pytest.__version__,
                "python": ".".join(str(n) for n in sys.version_info[:3]),
                "coverage": getattr(cov_module, "__version__", None) if cov is not None else None,
                "measuring": cov is not None,
                "dynamic_context": (measured or {}).get("dynamic_context"),
                "measured": measured,
                "reruns": _state["reruns"],
                "xdist": config.pluginmanager.has_plugin("xdist"),
            }
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    error = measure.finish()
    if error is not None:
        _events().write({"event": "coverage_problem", "problem": "save", "error": error})
    elif not _is_worker(config):
        took = measure.report_here(covreport)
        if took is not None:
            _events().write({"event": "coverage_report", "ms": took})
    while _sink:
        _sink.pop().close()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _is_worker(session.config):
        # Before xdist tells the controller this worker is done (its hookwrapper sends
        # "workerfinished" after us), so the data file is complete when pytest exits.
        error = measure.finish()
        if error is not None:
            _events().write({"event": "coverage_problem", "problem": "save", "error": error})
        return
    # Reports without a logfinish (an xdist worker that crashed mid-test) still count.
    _flush()
    _events().write(
        {
            "event": "finish",
            "exitstatus": int(exitstatus),
            "testscollected": int(getattr(session, "testscollected", 0) or 0),
            "stopped_early": bool(session.shouldstop) or bool(session.shouldfail),
        }
    )


# ---------------------------------------------------------------------------
# Collection and sharding


def is_integration(nodeid: str, markers: Iterable[str], marker: str, paths: Sequence[str]) -> bool:
    """Integration test: carries ``marker`` or lives under one of ``paths`` (root-relative)."""
    if marker and marker in markers:
        return True
    file_part = nodeid.split("::", 1)[0]
    for prefix in paths:
        prefix = prefix.strip("/")
        if prefix and (file_part == prefix or file_part.startswith(prefix + "/")):
            return True
    return False


def plan_shards(durations: dict[str, float] | None, count: int) -> dict[str, int]:
    """Map each test file with recorded durations to a shard in 1..count.

    Files are the units, so module and class fixtures run in one shard only. A file
    weighs the recorded durations of its tests; heaviest first, each goes to the lightest
    shard so far (ties: file name, then the lower shard). Files without durations are
    not planned here: `shard_for` places them by a hash of their path.
    """
    weights: dict[str, float] = {}
    for nodeid, seconds in (durations or {}).items():
        name = nodeid.split("::", 1)[0]
        weights[name] = weights.get(name, 0.0) + max(seconds, 0.0)
    loads = [0.0] * count
    plan: dict[str, int] = {}
    for name in sorted(weights, key=lambda f: (-round(weights[f], 6), f)):
        index = min(range(count), key=lambda k: (loads[k], k))
        loads[index] += weights[name]
        plan[name] = index + 1
    return plan


def shard_for(relfile: str, count: int, plan: dict[str, int]) -> int:
    """The shard (1..count) of a root-relative test file: planned, else a stable hash.

    The hash lets every shard place a file the plan does not know (a new file, or no
    durations at all) alike without having seen the others' files.
    """
    planned = plan.get(relfile)
    if planned is not None:
        return planned
    digest = hashlib.sha256(relfile.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def _relfile(path: Path, rootpath: Path) -> str:
    """``path`` as pytest spells it in node ids: relative to the rootdir, with ``/``."""
    try:
        return path.relative_to(rootpath).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, rootpath)).as_posix()


def _shard_setup(config: pytest.Config) -> tuple[int, int, dict[str, int]] | None:
    """(index, count, plan) for ``$QUALGATE_RT_SHARD``, computed once per process."""
    shard = _env("QUALGATE_RT_SHARD")
    if not shard:
        return None
    cached = _state.get("shard_setup")
    if cached is None:
        index, count = (int(x) for x in shard.split("/"))
        plan = plan_shards(_read_durations(_env("QUALGATE_RT_DURATIONS")), count)
        cached = (index, count, plan)
        _state["shard_setup"] = cached
    return cached


def _is_test_module(path: Path, config: pytest.Config) -> bool:
    """Whether pytest's python plugin collects ``path`` as a test module (``python_files``)."""
    patterns = config.getini("python_files") or ["test_*.py", "*_test.py"]
    try:
        from _pytest.pathlib import fnmatch_ex
    except ImportError:  # pragma: no cover - present in every pytest we support
        import fnmatch

        return any(fnmatch.fnmatch(path.name, p) for p in patterns)
    return any(fnmatch_ex(p, path) for p in patterns)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip another shard's test modules before they are imported.

    Only files pytest would collect as test modules (``python_files``) are skipped;
    conftest.py, ``__init__.py`` and other modules always load. Paths named on the command
    line never reach this hook; `pytest_collection_modifyitems` cuts those.
    """
    setup = _shard_setup(config)
    if setup is None or collection_path.suffix != ".py":
        return None
    if collection_path.name in ("conftest.py", "__init__.py") or not collection_path.is_file():
        return None
    if not _is_test_module(collection_path, config):
        return None
    index, count, plan = setup
    if shard_for(_relfile(collection_path, config.rootpath), count, plan) == index:
        return None
    _state["ignored_files"] = int(_state.get("ignored_files", 0)) + 1
    return True


def _read_durations(path: str) -> dict[str, float] | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(tests, dict):
        return None
    return {str(k): float(v) for k, v in tests.items() if isinstance(v, (int, float))}


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    if not _state.get("cutting"):
        _state["deselected"] = int(_state.get("deselected", 0)) + len(items)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    marker = _env("QUALGATE_RT_MARKER")
    paths = [p for p in _env("QUALGATE_RT_PATHS").split("\n") if p]
    total = len(items)
    every = {
        i.nodeid: is_integration(i.nodeid, {m.name for m in i.iter_markers()}, marker, paths)
        for i in items
    }
    shard = _env("QUALGATE_RT_SHARD")
    # Label coverage contexts only when the suite mixes both kinds. A shard sees only its
    # own files, so it cannot tell: shards always label, alike, and `qualgate merge` can
    # split the union (unlabeled lines would count as integration there).
    _state["switch"] = bool(shard) or (any(every.values()) and not all(every.values()))
    partition = None
    setup = _shard_setup(config)
    if setup is not None:
        index, count, plan = setup
        # The cut is the same per-file rule as pytest_ignore_collect; it catches what that
        # hook never sees (files named on the command line, doctests of other modules).
        partition = hashlib.sha256(
            json.dumps([count, sorted(plan.items())]).encode("utf-8")
        ).hexdigest()
        rootpath = config.rootpath
        owner = {
            i.nodeid: shard_for(_relfile(Path(str(i.path)), rootpath), count, plan) for i in items
        }
        keep = [i for i in items if owner[i.nodeid] == index]
        dropped = [i for i in items if owner[i.nodeid] != index]
        if dropped:
            _state["cutting"] = True
            config.hook.pytest_deselected(items=dropped)
            _state["cutting"] = False
        items[:] = keep
        total -= len(dropped)
        _state["elsewhere"] = int(_state.get("ignored_files", 0)) + len(
            {i.nodeid.split("::", 1)[0] for i in dropped}
        )
    _state["kinds"] = every
    kinds = [every[i.nodeid] for i in items]
    if _state["switch"] and not config.pluginmanager.has_plugin("qualgate-contexts"):
        config.pluginmanager.register(ContextSwitcher(), "qualgate-contexts")
    worker = _worker_id(config)
    if worker is None or worker == "gw0":
        _events().write(
            {
                "event": "collected",
                "total": total,
                "deselected": int(_state.get("deselected", 0)),
                "selected": len(items),
                "shard": shard or None,
                "partition": partition,
                "other_shard_files": int(_state.get("elsewhere", 0)),
                "integration": sum(kinds),
                "contexts": _state["switch"],
            }
        )


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if not report.failed or _state.get("worker", False):
        return
    info = getattr(report, "qualgate_error", None)
    _events().write(
        {
            "event": "collect_error",
            "nodeid": report.nodeid,
            "error": info if isinstance(info, dict) else None,
            "text": _trim(str(report.longrepr or "")),
        }
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    call = getattr(report, "call", None)
    excinfo = getattr(call, "excinfo", None)
    if report.failed and excinfo is not None:
        path = Path(str(getattr(collector, "path", "") or ""))
        exc = excinfo.value
        # The root cause: an explicit `raise ... from`, else the exception being handled,
        # unless the code said `from None` (os.environ's KeyError hides a bytes-key one).
        context = None if getattr(exc, "__suppress_context__", False) else exc.__context__
        root = Path(str(collector.config.rootpath))
        report.qualgate_error = _import_error(path, exc.__cause__ or context or exc, root)


def _import_error(path: Path, cause: BaseException, root: Path) -> dict[str, Any]:
    """Where and why a file failed to import: its own line, and the root cause."""
    import traceback

    line = None
    origin = None
    project = None
    if isinstance(cause, SyntaxError) and cause.filename:
        origin = {"path": cause.filename, "line": cause.lineno}
        if Path(cause.filename) == path:
            line = cause.lineno
    frames = traceback.extract_tb(cause.__traceback__) if cause.__traceback__ else []
    for frame in reversed(frames):
        if line is None and Path(frame.filename) == path:
            line = frame.lineno
        if project is None and _own_file(Path(frame.filename), root):
            project = {"path": frame.filename, "line": frame.lineno}
    if origin is None and frames:
        origin = {"path": frames[-1].filename, "line": frames[-1].lineno}
    if line is None and origin is not None and Path(str(origin["path"])) == path:
        origin_line = origin["line"]
        line = origin_line if isinstance(origin_line, int) else None
    message = "".join(traceback.format_exception_only(type(cause), cause)).strip()
    return {
        "path": str(path) if str(path) not in ("", ".") else None,
        "line": line,
        "message": _trim(message),
        "origin": origin,
        "exception": type(cause).__name__,
        "project": project,
    }


# ---------------------------------------------------------------------------
# Running tests


class Reruns:
    """Registered only with ``--rerun-failures N``: plain runs pay no hook per test."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        return rerun.protocol(item, nextitem)

    def pytest_report_teststatus(self, report: Any) -> Any:
        return rerun.teststatus(report)


class NoCover:
    """Registered only when pytest-cov was taken over: its ``no_cover`` marker and fixture
    pause measurement for the test, as pytest-cov does."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, None]:
        off = item.get_closest_marker("no_cover") is not None or "no_cover" in getattr(
            item, "fixturenames", ()
        )
        if off:
            measure.pause()
        try:
            yield
        finally:
            if off:
                measure.resume()


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    # With xdist this runs in the controller for each test a worker starts.
    if not _state.get("worker", False):
        _events().write({"event": "test_start", "nodeid": nodeid})


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if not _state.get("worker", False):
        _flush(nodeid)


class ContextSwitcher:
    """Registered only when the suite mixes unit and integration tests: labels coverage
    contexts, switching only when the kind changes (so plain suites pay nothing)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        integration = bool(_state.get("kinds", {}).get(item.nodeid))
        category = INTEGRATION_CONTEXT if integration else UNIT_CONTEXT
        if category != _state.get("category"):
            cov = _coverage()
            if cov is not None:
                cov.switch_context(category)
            _state["category"] = category


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    # Extra report attributes travel with the report from xdist workers to the controller.
    if report.failed and call.excinfo is not None:
        report.qualgate_failure = _failure(item, call.excinfo)


def _failure(item: pytest.Item, excinfo: Any) -> dict[str, Any]:
    """The line of the test file where the test failed, and the trimmed message."""
    path = Path(str(getattr(item, "path", "") or ""))
    line = None
    crash = None
    try:
        entries = list(excinfo.traceback)
    except Exception:  # noqa: BLE001 - a broken traceback must not hide the failure
        entries = []
    project = None
    root = Path(str(item.config.rootpath))
    for entry in reversed(entries):
        if line is None and Path(str(entry.path)) == path:
            line = entry.lineno + 1
        if project is None and _own_file(Path(str(entry.path)), root):
            project = {"path": str(entry.path), "line": entry.lineno + 1}
    if entries:
        crash = {"path": str(entries[-1].path), "line": entries[-1].lineno + 1}
    try:
        message = excinfo.exconly(tryshort=True)
    except Exception:  # noqa: BLE001
        message = repr(excinfo.value)
    return {
        "path": str(path),
        "line": line,
        "message": _trim(message),
        "exception": type(excinfo.value).__name__,
        "crash": crash,
        "project": project,
    }


_ENVIRONMENTS = tuple({Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _own_file(path: Path, root: Path) -> bool:
    """A file of the project: under its root, not in an interpreter's installation."""
    try:
        resolved = path.resolve()
        # "<frozen os>", "<string>": code that is no file at all.
        if not path.is_absolute() or not resolved.is_file():
            return False
    except OSError:
        return False
    if not _under(resolved, root.resolve()):
        return False
    return not any(_under(resolved, env) for env in _ENVIRONMENTS)


def _under(path: Path, parent: Path) -> bool:
    # Path.is_relative_to is Python 3.9+; the project's interpreter may be older.
    try:
        path.relative_to(parent)
    except ValueError:
        return False
    return True


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _state.get("worker", False):
        return
    phase: dict[str, Any] = {
        "when": report.when,
        "outcome": report.outcome,
        "duration": round(float(report.duration or 0.0), 6),
    }
    if hasattr(report, "wasxfail"):
        phase["xfail"] = True
    attempt = getattr(report, "qualgate_attempt", None) or getattr(report, "rerun", None)
    if isinstance(attempt, int):
        # Ours count from 1; pytest-rerunfailures' `rerun` counts earlier attempts from 0.
        phase["attempt"] = attempt if hasattr(report, "qualgate_attempt") else attempt + 1
    if report.failed or str(report.outcome) == "rerun":
        failure = getattr(report, "qualgate_failure", None)
        phase["failure"] = failure if isinstance(failure, dict) else None
        phase["text"] = _trim(report.longreprtext or "")
    elif report.skipped and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            phase["reason"] = str(longrepr[2])
    # One line per test (written when it finishes) keeps the event stream small.
    test = _pending.get(report.nodeid)
    if test is None:
        test = {
            "event": "test",
            "nodeid": report.nodeid,
            "location": [report.location[0], report.location[1]],
            "phases": [],
        }
        _pending[report.nodeid] = test
    test["phases"].append(phase)


_pending: dict[str, dict[str, Any]] = {}


def _flush(nodeid: str | None = None) -> None:
    for key in [nodeid] if nodeid is not None else list(_pending):
        test = _pending.pop(key, None) if key is not None else None
        if test is not None:
            _events().write(test)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _state["worker"] = _is_worker(session.config)


def _trim(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) > _MESSAGE_LINES:
        lines = [*lines[:_MESSAGE_LINES], f"... ({len(lines) - _MESSAGE_LINES} more lines)"]
    out = "\n".join(lines)
    if len(out) > _MESSAGE_CHARS:
        out = out[:_MESSAGE_CHARS] + "..."
    return out
