"""The result-cache inputs seed shares with migration-check (``api.scratch_inputs``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qualgate.cache.inputs import Inputs
from qualgate.context import GateContext
from qualgate.gates.migration_check import gate as migration_gate
from qualgate.gates.migration_check.api import DOC_FILES
from qualgate.gates.seed import gate as seed_gate
from qualgate.options import Option
from tests.support import write_files

ALEMBIC_INI = (
    "[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///app.db\n\n"
    "[reporting]\nscript_location = migrations\n"
    "sqlalchemy.url = postgresql://app@localhost/reporting\n"
)


def context(gate: str, options: tuple[Option, ...], root: Path, **given: Any) -> GateContext:
    values = {option.name: option.default for option in options}
    values.update({name.replace("_", "-"): value for name, value in given.items()})
    return GateContext(gate=gate, root=root, options=values)


def both(root: Path, **given: Any) -> tuple[Inputs, Inputs]:
    migration = context("migration-check", migration_gate.OPTIONS, root, **given)
    seed = context("seed", seed_gate.OPTIONS, root, **given)
    return migration_gate.INPUTS(migration), seed_gate.INPUTS(seed)


@pytest.mark.parametrize(
    ("dialect", "server", "scratch"),
    [
        ("auto", "auto", "sqlite"),  # no engine named: embedded SQLite, no server
        ("postgresql", "none", "postgresql"),
        ("mysql", "none", "mysql"),
    ],
)
def test_both_gates_key_a_throwaway_run_alike(
    tmp_path: Path, dialect: str, server: str, scratch: str
) -> None:
    root = write_files(tmp_path, {"app.py": "x = 1\n"})
    migration, seed = both(root, dialect=dialect, server=server)
    expected = Inputs(exclude=DOC_FILES, extra=(f"scratch={scratch}",), database=True)
    assert migration == expected
    assert seed == expected


def test_the_engine_comes_from_alembic_ini(tmp_path: Path) -> None:
    root = write_files(
        tmp_path, {"alembic.ini": ALEMBIC_INI, "migrations/env.py": "", "app.py": "x = 1\n"}
    )
    migration, seed = both(root, server="none")
    assert migration.extra == seed.extra == ("scratch=sqlite",)


def test_only_migration_check_picks_an_alembic_section(tmp_path: Path) -> None:
    root = write_files(
        tmp_path, {"alembic.ini": ALEMBIC_INI, "migrations/env.py": "", "app.py": "x = 1\n"}
    )
    ctx = context("migration-check", migration_gate.OPTIONS, root, name="reporting", server="none")
    assert migration_gate.INPUTS(ctx).extra == ("scratch=postgresql",)


def test_what_stays_each_gates_own(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"app.py": "x = 1\n"})
    seed = context("seed", seed_gate.OPTIONS, root, database_url="sqlite:///elsewhere.db")
    loaded = seed_gate.INPUTS(seed)
    assert loaded.skip is not None and "--database-url" in loaded.skip
    assert loaded.database and loaded.exclude == DOC_FILES
    static = context("migration-check", migration_gate.OPTIONS, root, static_only=True)
    assert migration_gate.INPUTS(static) == Inputs(exclude=DOC_FILES)
