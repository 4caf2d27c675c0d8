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
BLACK = "black"
ISORT = "isort"
HARDCODED_SECRET = "hardcoded-secret"  # noqa: S105 - a rule id
TOOL_VERSION = "tool-version"
FLAKE8_UNCODED = "flake8"

RUFF_FORMATTER_URL = "https://docs.astral.sh/ruff/formatter/"
MYPY_CODES_URL = "https://mypy.readthedocs.io/en/stable/error_code_list.html"
MYPY_CONFIG_URL = "https://mypy.readthedocs.io/en/stable/config_file.html"
BLACK_URL = "https://black.readthedocs.io/en/stable/the_black_code_style/current_style.html"
ISORT_URL = "https://pycqa.github.io/isort/"
FLAKE8_CODES_URL = "https://flake8.pycqa.org/en/latest/user/error-codes.html"
PYCODESTYLE_CODES_URL = "https://pycodestyle.pycqa.org/en/latest/intro.html#error-codes"
PYLINT_MESSAGES_URL = (
    "https://pylint.readthedocs.io/en/stable/user_guide/messages/messages_overview.html"
)
PYRIGHT_RULES_URL = (
    "https://microsoft.github.io/pyright/#/configuration?id=type-check-rule-overrides"
)
DETECT_SECRETS_URL = "https://github.com/Yelp/detect-secrets#currently-supported-plugins"

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
        id=BLACK,
        severity=Severity.ERROR,
        rationale="`black --check` would reformat the file (the project formats with black).",
        fix="Run `qualgate lint-format --fix` (or `black`).",
        url=BLACK_URL,
    ),
    Rule(
        id=ISORT,
        severity=Severity.ERROR,
        rationale="`isort --check-only` would reorder the file's imports (the project uses isort).",
        fix="Run `qualgate lint-format --fix` (or `isort`).",
        url=ISORT_URL,
    ),
    Rule(
        id=FLAKE8_UNCODED,
        severity=Severity.ERROR,
        rationale="A flake8 report without an error code (a plugin's); coded ones keep their code.",
        url=FLAKE8_CODES_URL,
    ),
    Rule(
        id=TOOL_VERSION,
        severity=Severity.NOTE,
        rationale=(
            "The project pins a version of a tool that is not the one that ran (its "
            "environment lacks it): a finding may come from the version difference."
        ),
        fix="Install the pinned version in the project's environment (the message says how).",
    ),
    Rule(
        id=HARDCODED_SECRET,
        severity=Severity.ERROR,
        rationale=(
            "A credential in the code (a key of a well-known format, a private key, a password "
            "in a URL, or a high-entropy value assigned to a secret-like name), found by "
            "detect-secrets: whoever reads the repository can use it (the `standards` preset)."
        ),
        fix=(
            "Remove it, rotate it, and read it from the environment or a secret store; for a "
            "false positive add `# pragma: allowlist secret` to the line."
        ),
        url=DETECT_SECRETS_URL,
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
