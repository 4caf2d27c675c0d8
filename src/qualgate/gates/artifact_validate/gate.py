"""Entry module (moving here from the package __init__)."""

from qualgate.gates.artifact_validate import *  # noqa: F403
from qualgate.gates.artifact_validate import DEFAULT_TIMEOUT, OPTIONS, run  # noqa: F401
