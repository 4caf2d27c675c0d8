"""The expected faults: each becomes an ``error`` verdict with a one-line reason and a hint."""

from __future__ import annotations


class GateError(Exception):
    """The gate cannot give an honest answer (bad config, missing tool, timeout...)."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class ConfigError(GateError):
    """A configuration key or value is wrong; the message names the key."""


class ToolMissing(GateError):
    """An external tool is not installed where the gate looks for it."""


class ToolTimeout(GateError):
    """An external tool ran past the gate's --timeout."""

    def __init__(
        self, reason: str, hint: str | None = None, *, stdout: str = "", stderr: str = ""
    ) -> None:
        super().__init__(reason, hint)
        self.stdout = stdout
        self.stderr = stderr
