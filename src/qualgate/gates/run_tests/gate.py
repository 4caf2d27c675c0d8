"""Entry module (moving here from the package __init__)."""

from qualgate.gates.run_tests import *  # noqa: F403
from qualgate.gates.run_tests import DEFAULT_TIMEOUT, OPTIONS, run  # noqa: F401
