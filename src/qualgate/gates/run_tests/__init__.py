"""The run-tests gate: the project's pytest suite under coverage, judged against thresholds.

The entry module is `qualgate.gates.run_tests.gate`; see docs/gates/run-tests.md.
"""
