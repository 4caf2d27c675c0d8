"""Every rule run-tests reports: default severity, why it matters, how to fix it.

None is configurable: a failing or missing test must never be switched off or lowered to
a note. Coverage is judged by thresholds (options), not by rules; a run that cannot give
an answer (timeout, pytest or coverage missing or crashing) is an ``error`` verdict with
a reason, not a finding.
"""

from __future__ import annotations

from qualgate.rules import Rule, catalogue
from qualgate.verdict import Severity

RULES = catalogue(
    "run-tests",
    Rule(
        id="test-failed",
        severity=Severity.ERROR,
        rationale="A test failed: the code does not do what its test says it should.",
        fix="Correct the code (or the test); rerun that test alone with "
        "`qualgate run-tests -- NODEID`.",
        configurable=False,
    ),
    Rule(
        id="test-error",
        severity=Severity.ERROR,
        rationale="A fixture's setup or teardown raised, so the test gave no answer.",
        fix="Repair the fixture at the reported line (`data.when` says setup or teardown).",
        configurable=False,
    ),
    Rule(
        id="collection-error",
        severity=Severity.ERROR,
        rationale="A test module or conftest.py could not be imported, so its tests never ran.",
        fix="Resolve the error the message names (a missing module, a syntax error).",
        configurable=False,
    ),
    Rule(
        id="no-tests",
        severity=Severity.ERROR,
        rationale="No test ran (none collected, all deselected, or all skipped): a suite that "
        "runs nothing proves nothing.",
        fix="Check testpaths / python_files in the pytest config, the -k/-m filters and the "
        "skip conditions (`data.why` says which); a suite meant to skip here sets "
        "`allow-all-skipped = true`.",
        configurable=False,
    ),
    Rule(
        id="flaky-test",
        severity=Severity.WARNING,
        rationale="With --rerun-failures, a test failed and then passed when run again at "
        "once: its outcome depends on timing, order or state, so it proves little either way.",
        fix="Find what the failed attempt depended on (the message in the finding): shared "
        "state, time, ordering, a race; make the test deterministic.",
        configurable=False,
    ),
    Rule(
        id="file-coverage",
        severity=Severity.WARNING,
        rationale="A file's coverage is under file-coverage-min.",
        fix="Add tests that run its missing lines.",
        configurable=False,
    ),
    Rule(
        id="uncovered-change",
        severity=Severity.NOTE,
        rationale="With --base, coverage.changed failed: changed lines of this file that no "
        "test ran.",
        fix="Add tests that run these lines.",
        configurable=False,
    ),
)
