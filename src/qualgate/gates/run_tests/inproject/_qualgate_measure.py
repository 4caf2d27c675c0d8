"""Coverage measurement for qualgate's run of a suite, in the pytest controller and xdist workers.

qualgate does not wrap pytest in ``coverage run``: the project's pytest options decide what
is measured (pytest-cov's ``--cov=PKG``, ``--cov-config``, ``--cov-branch`` in ``addopts``),
and those are only known once pytest has parsed them. So this module starts coverage.py
itself, the way pytest-cov does, from the earliest hook that sees the parsed options
(``pytest_load_initial_conftests``, before any conftest.py is imported):

- the controller reads the request qualgate put in ``$QUALGATE_RT_MEASURE`` (the data file,
  the project's packages qualgate found), takes pytest-cov's options and switches
  pytest-cov off for this run (two tracers in one process give wrong numbers), starts one
  ``coverage.Coverage`` with the project's configuration, and hands the resulting settings
  to xdist workers through ``$QUALGATE_RT_COVSPEC``;
- each xdist worker starts its own ``Coverage`` with the same settings in the thread that
  runs the tests (a tracer started at interpreter start-up, as coverage's subprocess hook
  does, misses tests that run in another thread and greenlets it was not told about), and
  saves its data file before it tells the controller it has finished.

Every process writes ``<data_file>.<suffix>``; qualgate combines them. Runs with the
project's own coverage.py (5.5 or later).
"""

from __future__ import annotations

import glob
import json
import os
import time
import warnings
from typing import Any

MEASURE_ENV = "QUALGATE_RT_MEASURE"
REPORT_ENV = "QUALGATE_RT_REPORT"
SPEC_ENV = "QUALGATE_RT_COVSPEC"
STARTED_ENV = "QUALGATE_RT_MEASURING"
MIN_VERSION = (5, 5)  # combine(keep=), json_report(show_contexts=), Coverage.current()
# pytest-cov (< 7) measures subprocesses through its own .pth hook and these variables.
_COV_CORE = ("COV_CORE_SOURCE", "COV_CORE_CONFIG", "COV_CORE_DATAFILE", "COV_CORE_BRANCH")

# qualgate's own coverage package (a folder), used only when the project has none.
FALLBACK_ENV = "QUALGATE_RT_COVERAGE"

_active: dict[str, Any] = {}


def import_coverage() -> Any:
    """The project's coverage.py; else qualgate's own, loaded from its package folder
    alone (``$QUALGATE_RT_COVERAGE``), so nothing else of qualgate's environment becomes
    importable and a coverage the project installs always wins. ImportError: neither."""
    import importlib.util
    import sys

    try:
        import coverage

        return coverage
    except ImportError:
        folder = os.environ.get(FALLBACK_ENV)
        if not folder:
            raise
    init = os.path.join(folder, "__init__.py")
    spec = importlib.util.spec_from_file_location(
        "coverage", init, submodule_search_locations=[folder]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"no coverage package in {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["coverage"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a coverage too new for this Python, say
        for name in [m for m in sys.modules if m == "coverage" or m.startswith("coverage.")]:
            del sys.modules[name]
        raise ImportError(f"qualgate's coverage cannot run here: {exc}") from exc
    return module


def active() -> Any:
    """The Coverage object this module started in this process, or None."""
    return _active.get("cov")


def info() -> dict[str, Any] | None:
    """What is being measured (for the controller's start event), or None."""
    return _active.get("info")


def begin(early_config: Any) -> dict[str, Any] | None:
    """Start measuring when qualgate asked for it; return a problem event or None.

    Called before pytest-cov's own hook: it must see pytest-cov switched off.
    """
    request = os.environ.pop(MEASURE_ENV, None)
    if request is not None:
        return _begin_controller(early_config, json.loads(request))
    raw = os.environ.get(SPEC_ENV)
    if not raw or not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    spec = json.loads(raw)
    # Only the controller's own workers; not a nested pytest a test started, nor a second
    # pytest.main() inside a worker that already measures.
    if spec.get("pid") != os.getppid() or os.environ.get(STARTED_ENV) == str(os.getpid()):
        return None
    _take_over_pytest_cov(early_config)
    return _start(spec, worker=True)


def _begin_controller(early_config: Any, request: dict[str, Any]) -> dict[str, Any] | None:
    try:
        coverage = import_coverage()
    except ImportError:
        return {"event": "coverage_problem", "problem": "missing"}
    version = tuple(getattr(coverage, "version_info", (0, 0))[:2])
    if version < MIN_VERSION:
        return {
            "event": "coverage_problem",
            "problem": "too-old",
            "version": getattr(coverage, "__version__", "?"),
        }
    options = early_config.known_args_namespace
    pytest_cov = _take_over_pytest_cov(early_config)
    spec: dict[str, Any] = {
        "data_file": request["data_file"],
        "config_file": True,
        "source": None,
        "branch": None,
        "pytest_cov": pytest_cov is not None,
        "origin": "config",
        "pid": os.getpid(),
        "dist": bool(
            getattr(options, "numprocesses", None)
            or getattr(options, "distload", False)
            or getattr(options, "dist", "no") not in ("no", None)
        ),
    }
    if pytest_cov is not None:
        spec["config_file"] = _config_file(pytest_cov["config"])
        spec["branch"] = True if pytest_cov["branch"] else None
        if pytest_cov["source"]:
            spec["source"] = pytest_cov["source"]
            spec["origin"] = "pytest-cov"
    problem = _start(spec, worker=False, detected=request.get("detected") or [])
    if problem is None:
        os.environ[SPEC_ENV] = json.dumps(spec)
    return problem


def _take_over_pytest_cov(early_config: Any) -> dict[str, Any] | None:
    """pytest-cov's parsed options, with pytest-cov itself switched off for this run.

    pytest-cov starts only when ``known_args_namespace.cov_source`` is set when its
    ``pytest_load_initial_conftests`` runs (every version from 2.x to 7.x); emptying it
    leaves its options parsed (``addopts`` with ``--cov`` stays valid) and nothing started.
    """
    options = early_config.known_args_namespace
    raw = getattr(options, "cov_source", None)
    if not raw:
        return None  # pytest-cov is not installed, or installed and not asked to measure
    options.cov_source = []
    # pytest-cov: a bare --cov (or --cov=) means "no source filter".
    names = [str(s) for s in raw if s is not True and str(s)]
    source = None if (True in raw or "" in raw or not names) else names
    return {
        "source": source,
        "config": _cov_config(options),
        "branch": getattr(options, "cov_branch", None),
    }


def _cov_config(options: Any) -> str:
    return str(getattr(options, "cov_config", ".coveragerc") or ".coveragerc")


def _config_file(name: str) -> Any:
    # coverage.py reads ".coveragerc" as "the default search" (True), like pytest-cov does.
    if name == ".coveragerc":
        return True
    return os.path.abspath(name)


def _start(spec: dict[str, Any], *, worker: bool, detected: Any = ()) -> dict[str, Any] | None:
    """Start a Coverage for ``spec`` in this process; a problem event when it cannot."""
    try:
        coverage = import_coverage()
        cov = coverage.Coverage(
            data_file=spec["data_file"],
            data_suffix=True,
            config_file=spec["config_file"],
            source=spec["source"],
            branch=spec["branch"],
        )
        if not worker and spec["source"] is None:
            configured = any(cov.get_option(f"run:{k}") for k in _SOURCE_KEYS if _has(cov, k))
            if not configured and detected:
                # No source anywhere: measure the project's own packages, so that a module
                # no test imports counts as 0% (as `pytest --cov=PKG` would show it).
                chosen = [_where_imported(name) for name in detected]
                cov.set_option("run:source", chosen)
                spec["source"] = chosen
                spec["origin"] = "detected"
            elif not configured:
                spec["origin"] = "everything"
        if worker:
            # A worker runs only part of the suite: "never imported" is the controller's call.
            cov._warn_unimported_source = False
        cov._warn_preimported_source = False
        with warnings.catch_warnings():
            # coverage's warnings must not meet a project's `-W error`.
            warnings.simplefilter("ignore")
            cov.start()
    except Exception as exc:  # noqa: BLE001 - the gate reports it; the run must not start
        return {"event": "coverage_problem", "problem": "start", "error": _describe(exc)}
    os.environ[STARTED_ENV] = str(os.getpid())
    os.environ["COVERAGE_FILE"] = spec["data_file"]
    if spec["pytest_cov"] and (worker or not spec["dist"]):
        _set_pytest_cov_env(spec, cov)
    _active["cov"] = cov
    _active["worker"] = worker
    _active["spec"] = spec
    if not worker:
        _active["info"] = {
            "origin": spec["origin"],
            "source": spec["source"],
            "config_file": spec["config_file"],
            "config_read": getattr(cov.config, "config_file", None),
            "branch": bool(cov.get_option("run:branch")),
            "dynamic_context": cov.get_option("run:dynamic_context"),
            "pytest_cov": spec["pytest_cov"],
            "report_include": _report_include(spec),
        }
    return None


def _report_include(spec: dict[str, Any]) -> list[str]:
    """What the report keeps to when qualgate chose the source (see the gate's docs).

    A child process that coverage starts from the project's configuration alone
    (``concurrency = multiprocessing``) knows nothing of the source chosen here and records
    every file it runs.
    """
    if spec["origin"] != "detected":
        return []
    patterns = []
    for name in spec["source"] or ():
        if os.path.isdir(name):
            patterns.append(os.path.join(os.path.abspath(name), "*"))
        elif os.path.isfile(name + ".py"):
            patterns.append(os.path.abspath(name + ".py"))
        else:
            return []  # an installed package, measured by name: its files are elsewhere
    return patterns


_SOURCE_KEYS = ("source", "source_pkgs", "include")


def _where_imported(folder: str) -> str:
    """A detected package folder, or its package name when the tests would import an
    installed copy instead (``pip install .`` without ``-e``): coverage then measures the
    copy that runs, by name, rather than finding nothing run in the folder."""
    name = os.path.basename(folder.rstrip(os.sep))
    if not os.path.isdir(folder) or not name.isidentifier():
        return folder
    try:
        import importlib.util

        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return folder
    locations = list(getattr(found, "submodule_search_locations", None) or ())
    if not locations:
        return folder
    inside = os.path.realpath(folder)
    if any(os.path.realpath(place) == inside for place in locations):
        return folder
    return name


def _has(cov: Any, key: str) -> bool:
    try:
        cov.get_option(f"run:{key}")
    except Exception:  # noqa: BLE001 - source_pkgs is 5.3+
        return False
    return True


def _set_pytest_cov_env(spec: dict[str, Any], cov: Any) -> None:
    """Keep pytest-cov's (< 7) subprocess measurement working, into our data file."""
    try:
        import importlib.util

        if importlib.util.find_spec("pytest_cov.embed") is None:
            return
    except Exception:  # noqa: BLE001
        return
    source = spec["source"]
    os.environ["COV_CORE_SOURCE"] = os.pathsep.join(source) if source else os.pathsep
    config = spec["config_file"]
    path = ".coveragerc" if config is True else config
    os.environ["COV_CORE_CONFIG"] = os.path.abspath(path) if os.path.exists(path) else os.pathsep
    os.environ["COV_CORE_DATAFILE"] = os.path.abspath(spec["data_file"])
    if spec["branch"]:
        os.environ["COV_CORE_BRANCH"] = "enabled"


def takes_no_cover() -> bool:
    """Whether pytest-cov's ``no_cover`` marker is ours to honour in this process."""
    return bool(_active.get("cov") is not None and _active["spec"].get("pytest_cov"))


def pause() -> None:
    cov = active()
    if cov is not None:
        cov.stop()


def resume() -> None:
    cov = active()
    if cov is not None:
        cov.start()


def finish() -> str | None:
    """Stop and save this process's measurement (once); return an error text or None."""
    cov = _active.pop("cov", None)
    if cov is None:
        return None
    for key in _COV_CORE:
        os.environ.pop(key, None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cov.stop()
            cov.save()
    except Exception as exc:  # noqa: BLE001
        return _describe(exc)
    return None


def report_here(covreport: Any) -> int | None:
    """In the controller, after the run: combine every process's data, write the report.

    Done here rather than in a process of its own, which would start an interpreter and
    import coverage.py again. ``$QUALGATE_RT_REPORT`` names the JSON report and the combined
    data file; the gate reads ``<json>.status`` (and falls back to its own helper process
    when this never ran, e.g. when a test killed pytest).
    """
    raw = os.environ.pop(REPORT_ENV, None)
    spec = _active.get("spec")
    info = _active.get("info")
    if not raw or spec is None or info is None or _active.get("worker"):
        return None
    started = time.monotonic()
    request = json.loads(raw)
    target = request["data_file"]
    inputs = sorted(glob.glob(glob.escape(spec["data_file"]) + ".*"))
    try:
        if os.path.exists(target):
            os.unlink(target)  # combining appends to an existing data file
        if len(inputs) == 1:
            # One process measured: its data file is the result, no combining needed.
            os.replace(inputs[0], target)
            inputs = []
    except OSError:
        return None  # the gate's own helper will try
    argv = [request["out"], target, "--contexts=auto"]
    if isinstance(spec["config_file"], str):
        argv.append(f"--rcfile={spec['config_file']}")
    argv += [f"--include={pattern}" for pattern in info["report_include"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        covreport.main(argv + inputs)
    return int((time.monotonic() - started) * 1000)


def is_worker() -> bool:
    return bool(_active.get("worker"))


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__
