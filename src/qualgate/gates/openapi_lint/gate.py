"""Entry module (moving here from the package __init__)."""

from qualgate.gates.openapi_lint import *  # noqa: F403
from qualgate.gates.openapi_lint import DEFAULT_TIMEOUT, OPTIONS, run  # noqa: F401
