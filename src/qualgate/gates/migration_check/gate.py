"""Entry module (moving here from the package __init__)."""

from qualgate.gates.migration_check import *  # noqa: F403
from qualgate.gates.migration_check import DEFAULT_TIMEOUT, OPTIONS, run  # noqa: F401
