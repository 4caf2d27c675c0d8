"""Code that runs in the project's interpreter, not qualgate's: the migration worker.

`worker.py` is run by path (the project's Python need not have qualgate); it loads its
helpers `worker_guard.py` and `worker_schema.py` by path too. None of them imports qualgate.
"""
