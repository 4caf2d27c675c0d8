"""Code that runs in the project's interpreter, not qualgate's: the spec generator.

`spec_worker.py` is run by path (the project's Python need not have qualgate); it imports
nothing of qualgate and keeps to the standard library.
"""
