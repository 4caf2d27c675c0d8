"""The dependency-scan gate: known-vulnerable, unpinned and disallowed dependencies.

The entry module is `qualgate.gates.dependency_scan.gate`; this package imports nothing.
"""
