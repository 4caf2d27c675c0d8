"""Combine coverage data files and write coverage's JSON report, in the project's interpreter.

Usage: ``python _qualgate_covreport.py OUT_JSON DATA_FILE [--contexts[=auto]] [--keep]
[--rcfile=PATH] [--include=PATTERN]... [INPUT...]`` (without INPUT, DATA_FILE is reported
as it is). ``--contexts=auto`` shows contexts when the data holds qualgate's unit/integration
labels and the project set no ``dynamic_context`` of its own. Also called in-process by the
pytest plugin at the end of a measured run (``main``), which saves a process start-up.

Run with the project root as the working directory, so coverage reads the project's own
configuration (omit, exclusions, [paths] remapping, plugins) as ``coverage report`` would;
``--rcfile`` is the configuration file the run measured with (pytest-cov's
``--cov-config``), ``--include`` limits the report to the folders qualgate chose to
measure. Writes ``{"ok": true}`` or ``{"ok": false, "error": ...}`` to ``OUT_JSON + ".status"``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))


def _measure() -> Any:
    try:  # imported as part of the qualgate package (qualgate's own unit tests)
        from . import _qualgate_measure

        return _qualgate_measure
    except ImportError:  # run as a script, or loaded from the folder on PYTHONPATH
        import _qualgate_measure  # type: ignore[import-not-found,no-redef]

        return _qualgate_measure


def main(argv: list[str]) -> int:
    out, data_file, *rest = argv
    contexts: bool | None = True if "--contexts" in rest else None
    if "--contexts=auto" not in rest and contexts is None:
        contexts = False
    keep = "--keep" in rest
    rcfile: str | bool = True
    include = []
    for arg in rest:
        if arg.startswith("--rcfile="):
            rcfile = arg.split("=", 1)[1]
        elif arg.startswith("--include="):
            include.append(arg.split("=", 1)[1])
    inputs = [a for a in rest if not a.startswith("--")]
    status: dict[str, object] = {"ok": True}
    stage = "import"
    try:
        coverage = _measure().import_coverage()
        cov = coverage.Coverage(data_file=data_file, config_file=rcfile)
        if inputs:
            stage = "combine"
            cov.combine(data_paths=inputs, strict=True, keep=keep)
            cov.save()
        else:  # DATA_FILE already holds the one data file of the run
            stage = "load"
            cov.load()
        stage = "report"
        if contexts is None:
            contexts = _labelled(cov)
        status["contexts"] = contexts
        # Our own injected plugin runs in the measured process: without a `source` setting
        # coverage would count it as the project's code. The project's omit still applies.
        configured = cov.get_option("report:omit")
        omit = [*(configured if isinstance(configured, list) else []), os.path.join(_HERE, "*")]
        report_include = include or None
        if report_include and cov.get_option("report:include"):
            report_include = None  # the project's own report filter wins
        cov.json_report(
            outfile=out,
            show_contexts=contexts,
            ignore_errors=True,
            omit=omit,
            include=report_include,
        )
        status["version"] = coverage.__version__
    except Exception as exc:  # noqa: BLE001 - reported to the gate as data
        status = {"ok": False, "stage": stage, "error": f"{type(exc).__name__}: {exc}"}
    with open(out + ".status", "w", encoding="utf-8") as handle:
        json.dump(status, handle)
    return 0 if status["ok"] else 1


def _labelled(cov: Any) -> bool:
    """Whether the data holds qualgate's unit/integration labels, and only those."""
    if cov.get_option("run:dynamic_context"):
        return False  # the project's own contexts: the split cannot be told (see the docs)
    labels = cov.get_data().measured_contexts()
    return any(label.endswith(_LABELS) for label in labels)


_LABELS = ("qualgate:unit", "qualgate:integration")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
