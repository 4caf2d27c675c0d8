"""Entry module (moving here from the package __init__)."""

from qualgate.gates.seed import *  # noqa: F403
from qualgate.gates.seed import DEFAULT_TIMEOUT, OPTIONS, run  # noqa: F401
