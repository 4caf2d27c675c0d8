"""The artifact-validate gate: RFCs, ADRs, tasks, contracts and config files against schemas.

The entry module is `qualgate.gates.artifact_validate.gate`; this package imports nothing.
"""
