"""Every rule the integrity gate reports: the ways a change can make work look done without
doing it. Each finding names its guard; a project allows a specific one with a reason
(``allow = [{rule, path, reason}]``), and the allowance is reported as a note.
"""

from __future__ import annotations

from qualgate.rules import Rule, catalogue
from qualgate.verdict import Severity

_E = Severity.ERROR

RULES = catalogue(
    "integrity",
    Rule(
        id="new-skip-mark",
        severity=_E,
        rationale="A test is newly skipped or expected to fail (`@pytest.mark.skip`, "
        "`skipif`, `xfail`, `pytest.skip()`, `unittest.skip`, `self.skipTest()`), so it "
        "no longer proves anything.",
        fix="Make the test pass; if the skip is right, allow it with a reason in "
        "[tool.qualgate.integrity] allow.",
    ),
    Rule(
        id="deleted-test",
        severity=_E,
        rationale="A test function that existed at the base is gone (its file deleted or "
        "the function removed); moving it to another test file, or renaming it with the same "
        "body, is not a deletion.",
        fix="Restore the test, or allow the deletion with a reason.",
    ),
    Rule(
        id="emptied-test",
        severity=_E,
        rationale="A test function lost its assertions or was reduced to `pass`, `...` "
        "or `assert True`: it still runs and passes, but checks nothing.",
        fix="Restore the assertions.",
    ),
    Rule(
        id="fewer-tests",
        severity=_E,
        rationale="Fewer tests ran than at the base although no test file changed: tests "
        "were deselected, skipped from a conftest or lost to a collection change.",
        fix="Find what stopped them from running (conftest.py, pytest addopts, markers).",
    ),
    Rule(
        id="new-noqa",
        severity=_E,
        rationale="A new `# noqa` (or file-level `# ruff: noqa`) silences the linter "
        "instead of fixing what it found.",
        fix="Fix the lint finding and remove the comment.",
    ),
    Rule(
        id="new-type-ignore",
        severity=_E,
        rationale="A new `# type: ignore` (or `# pyright: ignore`, `# mypy: ignore-errors`) "
        "silences the type checker instead of fixing the type error.",
        fix="Fix the type error and remove the comment.",
    ),
    Rule(
        id="new-no-cover",
        severity=_E,
        rationale="A new `# pragma: no cover` removes code from the coverage measure "
        "instead of testing it.",
        fix="Test the code and remove the pragma.",
    ),
    Rule(
        id="coverage-omit",
        severity=_E,
        rationale="Coverage configuration omits or excludes more than at the base "
        "(`omit`, `exclude_lines`, `exclude_also`), so untested code stops counting.",
        fix="Restore the coverage configuration of the base.",
    ),
    Rule(
        id="lowered-threshold",
        severity=_E,
        rationale="A threshold is weaker than at the base: a minimum lowered or removed "
        "(coverage-min, fail_under), a maximum raised (line-length, max-complexity).",
        fix="Restore the threshold of the base.",
    ),
    Rule(
        id="disabled-rule",
        severity=_E,
        rationale="A check is switched off compared with the base: lint rules ignored or "
        "deselected, mypy strictness turned off or errors ignored, gates or checks removed "
        "from [tool.qualgate], or a new config file shadowing the old one.",
        fix="Restore the configuration of the base.",
    ),
    Rule(
        id="narrowed-tests",
        severity=_E,
        rationale="The pytest configuration selects fewer tests than at the base "
        "(`-k`, `-m`, `--deselect`, `--ignore` in addopts, fewer testpaths, more "
        "norecursedirs).",
        fix="Restore the pytest configuration of the base.",
    ),
    Rule(
        id="wrapper-edited",
        severity=_E,
        rationale="A gate wrapper script (tools/…) or the qualgate CI workflow changed: "
        "the command that proves done may no longer run the gate.",
        fix="Restore the wrapper (`qualgate init --force` writes it again).",
    ),
    Rule(
        id="hook-removed",
        severity=_E,
        rationale="An agent hook file lost its qualgate hook, or disables all hooks, so the "
        "agent's turns are no longer gated.",
        fix="Restore the hook (`qualgate init --agent ...` writes it again).",
    ),
)
