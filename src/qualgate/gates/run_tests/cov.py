"""Coverage numbers: combine data files and read coverage.py's JSON report.

Combining and reporting run in the project's interpreter (the helper
``inproject/_qualgate_covreport.py``), with the project root as working directory, so the
project's own ``[tool.coverage]`` / ``.coveragerc`` settings (source, omit, branch,
exclusions, path remapping) apply exactly as they do for ``coverage report``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.errors import GateError

INPROJECT_DIR = Path(__file__).resolve().parent / "inproject"
UNIT_CONTEXT = "qualgate:unit"


@dataclass(frozen=True, kw_only=True, slots=True)
class FileCoverage:
    """One measured file (path relative to the project root)."""

    path: str
    statements: frozenset[int]
    executed: frozenset[int]
    num_branches: int = 0
    covered_branches: int = 0
    # Lines reached outside unit tests (collection, integration tests); None when the
    # run did not separate the two.
    integration_executed: frozenset[int] | None = None

    @property
    def missing(self) -> frozenset[int]:
        return self.statements - self.executed

    @property
    def percent(self) -> float:
        """coverage.py's own figure: statements and branches together."""
        total = len(self.statements) + self.num_branches
        done = len(self.executed & self.statements) + self.covered_branches
        return 100.0 if total == 0 else 100.0 * done / total


@dataclass(frozen=True, kw_only=True, slots=True)
class CoverageReport:
    files: Mapping[str, FileCoverage]
    branch: bool
    # coverage's TOTAL line, exactly as `coverage report` computes it.
    percent: float
    statements: int
    covered_lines: int
    num_branches: int
    covered_branches: int
    data_file: str | None = None
    version: str | None = None

    @property
    def line_percent(self) -> float:
        return 100.0 if self.statements == 0 else 100.0 * self.covered_lines / self.statements

    @property
    def branch_percent(self) -> float | None:
        if not self.branch:
            return None
        if self.num_branches == 0:
            return 100.0
        return 100.0 * self.covered_branches / self.num_branches

    def integration_percent(self) -> float | None:
        """Line coverage reached without the unit tests (None when not separated)."""
        total = covered = 0
        for f in self.files.values():
            if f.integration_executed is None:
                return None
            total += len(f.statements)
            covered += len(f.integration_executed & f.statements)
        return 100.0 if total == 0 else 100.0 * covered / total


# Variables a measuring parent (qualgate's own tests, a CI step under `coverage run` or
# pytest-cov, an xdist worker) leaves behind; the project's run must not inherit them.
_INHERITED = (
    "COVERAGE_PROCESS_START",
    "COVERAGE_PROCESS_CONFIG",
    "COV_CORE_SOURCE",
    "COV_CORE_CONFIG",
    "COV_CORE_DATAFILE",
    "COV_CORE_BRANCH",
    "COV_CORE_CONTEXT",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "QUALGATE_RT_COVSPEC",
    "QUALGATE_RT_MEASURING",
)


# The folder of qualgate's own coverage package, for a project interpreter without one
# (`_qualgate_measure.import_coverage`).
FALLBACK_ENV = "QUALGATE_RT_COVERAGE"


@functools.cache
def our_coverage() -> str | None:
    """The folder of the coverage package installed beside qualgate (None: none)."""
    spec = importlib.util.find_spec("coverage")
    locations = spec.submodule_search_locations if spec is not None else None
    return str(locations[0]) if locations else None


def clean_env(root: Path) -> dict[str, str | None]:
    """Environment overrides so a measuring parent's settings do not leak in (None removes).

    A process that runs under coverage exports its start-up hook and its rcfile; the
    project's run must use the project's configuration. A ``COVERAGE_RCFILE`` inside the
    project is the user's own choice and is kept.
    """
    env: dict[str, str | None] = dict.fromkeys(_INHERITED)
    env[FALLBACK_ENV] = our_coverage()
    rcfile = os.environ.get("COVERAGE_RCFILE")
    if rcfile:
        try:
            Path(rcfile).resolve().relative_to(root.resolve())
        except ValueError:
            env["COVERAGE_RCFILE"] = None
    return env


def combine_and_report(
    *,
    python: str,
    root: Path,
    inputs: Sequence[Path],
    data_file: Path,
    out: Path,
    contexts: bool,
    keep: bool,
    timeout: float,
    relpath: Callable[[str], str],
    rcfile: str | None = None,
    include: Sequence[str] = (),
) -> CoverageReport:
    """Combine ``inputs`` into ``data_file`` and read the JSON report written to ``out``.

    ``rcfile``: the configuration file the run measured with (None: coverage's own search);
    ``include``: file patterns the report is limited to.
    """
    if inputs:
        # Combining appends to an existing data file: start from nothing.
        data_file.unlink(missing_ok=True)
    argv = [python, str(INPROJECT_DIR / "_qualgate_covreport.py"), str(out), str(data_file)]
    if contexts:
        argv.append("--contexts")
    if keep:
        argv.append("--keep")
    if rcfile:
        argv.append(f"--rcfile={rcfile}")
    argv += [f"--include={pattern}" for pattern in include]
    argv += [str(p) for p in inputs]
    done = process.run(
        argv,
        cwd=root,
        timeout=timeout,
        env=clean_env(root),
    )
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return read_outcome(
        out=out,
        data_file=data_file,
        python=python,
        relpath=relpath,
        contexts=contexts,
        tail=tail[0],
    )


def read_outcome(
    *,
    out: Path,
    data_file: Path,
    python: str,
    relpath: Callable[[str], str],
    contexts: bool,
    tail: str = "no output",
) -> CoverageReport:
    """The report the helper wrote to ``out`` (``out.status`` says how it went).

    The helper runs in a process of its own (`combine_and_report`) or at the end of the
    pytest run itself (the plugin calls it in-process); ``contexts`` is used when the status
    does not say whether the report shows them.
    """
    status_file = Path(str(out) + ".status")
    try:
        status = json.loads(status_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise GateError(
            f"coverage could not combine or report its data: {tail}",
            f"check the project's coverage configuration (`{python} -m coverage report`)",
        ) from None
    finally:
        status_file.unlink(missing_ok=True)
    if not status.get("ok"):
        error = str(status.get("error", "unknown error"))
        if status.get("stage") == "report" and error.startswith("NoDataError"):
            raise GateError(
                "coverage measured no files: " + error.split(": ", 1)[-1],
                'set [tool.coverage.run] source = ["<your package>"] so coverage knows '
                "what to measure",
            )
        raise GateError(
            f"coverage could not combine or report its data: {error}",
            f"check the project's coverage configuration (`{python} -m coverage report`)",
        )
    shown = status.get("contexts")
    document = json.loads(out.read_text(encoding="utf-8"))
    report = parse_report(
        document, relpath, contexts=bool(shown) if shown is not None else contexts
    )
    return CoverageReport(
        files=report.files,
        branch=report.branch,
        percent=report.percent,
        statements=report.statements,
        covered_lines=report.covered_lines,
        num_branches=report.num_branches,
        covered_branches=report.covered_branches,
        data_file=relpath(str(data_file)),
        version=str(status.get("version")) if status.get("version") else None,
    )


def parse_report(
    document: Mapping[str, Any], relpath: Callable[[str], str], *, contexts: bool
) -> CoverageReport:
    """Read coverage.py's JSON report (format 2 and later)."""
    meta = document.get("meta") or {}
    files: dict[str, FileCoverage] = {}
    for name, entry in (document.get("files") or {}).items():
        summary = entry.get("summary") or {}
        # Line 0 is the code object of an empty module, never a statement.
        executed = frozenset(int(n) for n in entry.get("executed_lines") or () if int(n) > 0)
        missing = frozenset(int(n) for n in entry.get("missing_lines") or ())
        integration = None
        if contexts:
            integration = frozenset(
                int(line)
                for line, labels in (entry.get("contexts") or {}).items()
                if any(not _is_unit(label) for label in labels)
            )
        path = relpath(name)
        files[path] = FileCoverage(
            path=path,
            statements=executed | missing,
            executed=executed,
            num_branches=int(summary.get("num_branches", 0) or 0),
            covered_branches=int(summary.get("covered_branches", 0) or 0),
            integration_executed=integration,
        )
    totals = document.get("totals") or {}
    return CoverageReport(
        files=files,
        branch=bool(meta.get("branch_coverage")),
        percent=float(totals.get("percent_covered", 100.0)),
        statements=int(totals.get("num_statements", 0)),
        covered_lines=int(totals.get("covered_lines", 0)),
        num_branches=int(totals.get("num_branches", 0) or 0),
        covered_branches=int(totals.get("covered_branches", 0) or 0),
    )


def _is_unit(label: str) -> bool:
    # With a static context configured, labels read "<static>|qualgate:unit".
    return label == UNIT_CONTEXT or label.endswith("|" + UNIT_CONTEXT)


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangedCoverage:
    """Coverage of the executable lines changed since --base (like diff-cover)."""

    statements: int
    covered: int
    files: tuple[tuple[str, int, int, tuple[int, ...]], ...]  # path, stmts, covered, missing

    @property
    def percent(self) -> float | None:
        return None if self.statements == 0 else 100.0 * self.covered / self.statements


def changed_coverage(
    report: CoverageReport, changed: Mapping[str, frozenset[int]], whole: Iterable[str]
) -> ChangedCoverage:
    """Measured statements on changed lines; files coverage did not measure do not count."""
    whole_set = set(whole)
    rows = []
    statements = covered = 0
    for path, f in sorted(report.files.items()):
        if path in whole_set:
            lines = f.statements
        elif path in changed:
            lines = f.statements & changed[path]
        else:
            continue
        if not lines:
            continue
        hit = lines & f.executed
        statements += len(lines)
        covered += len(hit)
        rows.append((path, len(lines), len(hit), tuple(sorted(lines - hit))))
    return ChangedCoverage(statements=statements, covered=covered, files=tuple(rows))


def ranges(lines: Iterable[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    out: list[str] = []
    start = prev = None
    for n in sorted(lines):
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            out.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else str(start))
    return ", ".join(out)
