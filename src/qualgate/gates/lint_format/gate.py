"""Entry module (moving here from the package __init__)."""

from qualgate.gates.lint_format import *  # noqa: F403
from qualgate.gates.lint_format import DEFAULT_TIMEOUT, OPTIONS, run  # noqa: F401
