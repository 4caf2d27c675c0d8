"""Files that run inside the *project's* interpreter, put on its PYTHONPATH by the gate.

They must not import qualgate (the project's environment usually does not have it) and
must keep to the standard library plus pytest and coverage.
"""
