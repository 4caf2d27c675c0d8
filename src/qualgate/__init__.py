"""qualgate: quality gates for Python backend projects, answering with one JSON verdict."""

__version__ = "0.1.0"
