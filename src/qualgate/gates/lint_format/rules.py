"""lint-format's rule catalogue: the rule ids qualgate itself gives a finding.

Most findings carry the tools' own ids: ruff's rule codes (``F401``, ``invalid-syntax``)
and mypy's error codes (``return-value``). Those keep the help URL the tool gives (ruff's
rule page, mypy's error code list) and are documented there, not here. Listed here are
the ids the gate invents for what the tools report without one, and the rules of the
``standards`` preset that qualgate checks itself.
"""

from __future__ import annotations

from qualgate.rules import Rule, catalogue
from qualgate.verdict import Severity

FORMAT = "format"
SYNTAX_ERROR = "syntax-error"
MYPY_UNCODED = "mypy"
MYPY_CONFIG = "config"
LONG_FUNCTION = "long-function"

RUFF_FORMATTER_URL = "https://docs.astral.sh/ruff/formatter/"
MYPY_CODES_URL = "https://mypy.readthedocs.io/en/stable/error_code_list.html"
MYPY_CONFIG_URL = "https://mypy.readthedocs.io/en/stable/config_file.html"

RULES = catalogue(
    "lint-format",
    Rule(
        id=FORMAT,
        severity=Severity.ERROR,
        rationale="`ruff format` would change the file: one consistent layout keeps diffs small.",
        fix="Run `qualgate lint-format --fix` (or `ruff format`).",
        url=RUFF_FORMATTER_URL,
    ),
    Rule(
        id=SYNTAX_ERROR,
        severity=Severity.ERROR,
        rationale="ruff cannot parse the file: neither the linter nor the formatter can check it.",
        fix="Fix the syntax error at the position given.",
        # A file nobody could read must never pass unnoticed.
        configurable=False,
    ),
    Rule(
        id=MYPY_UNCODED,
        severity=Severity.ERROR,
        rationale="A mypy message that carries no error code; mypy's coded errors keep their code.",
        url=MYPY_CODES_URL,
    ),
    Rule(
        id=MYPY_CONFIG,
        severity=Severity.NOTE,
        rationale="mypy remarks on its configuration (e.g. a section that matches no module).",
        fix="Edit the mypy configuration file the finding points at.",
        url=MYPY_CONFIG_URL,
    ),
    Rule(
        id=LONG_FUNCTION,
        severity=Severity.ERROR,
        rationale=(
            "A function longer than `max-function-lines` (default 50 lines) is hard to "
            "read, test and review (the `standards` preset)."
        ),
        fix="Split the function, or set `max-function-lines` to change the limit.",
    ),
)
