"""Fixtures for the dependency-scan tests: an OSV folder written by the test, a cache dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import records


@pytest.fixture()
def osv_db(tmp_path: Path) -> Path:
    """A nested OSV database (YAML and JSON records) with the records of `records.ALL`."""
    return records.write_db(tmp_path / "osv-db")


@pytest.fixture()
def cache_dir(tmp_path: Path) -> Path:
    """A private cache folder, so tests never touch ~/.cache."""
    return tmp_path / "cache"
