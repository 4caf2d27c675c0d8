"""Entry module (moving here from the package __init__)."""

from qualgate.gates.dependency_scan import *  # noqa: F403
from qualgate.gates.dependency_scan import DEFAULT_TIMEOUT, OPTIONS, run  # noqa: F401
