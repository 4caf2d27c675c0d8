"""Hostile repositories against seed and migration-check: nothing outside the root read, no
secret printed, no exhaustion, no crash, no widened reach from the repository's config."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.hostile.conftest import SECRET, Layout, no_secret_anywhere
from tests.support import run_qualgate, write_files

MODELS = """\
from sqlalchemy import Column, Integer, MetaData, String, Table
metadata = MetaData()
Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", String(200)))
"""


def _seed(root: Path, *args: str) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    run = run_qualgate("seed", str(root), "--metadata", "models:metadata", "--no-cache", *args)
    assert run.verdict is not None, run.stdout + run.stderr
    return run.code, run.stdout + run.stderr, run.verdict


def test_yaml_alias_bomb_in_a_seed(layout: Layout) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    write_files(
        layout.root,
        {
            "models.py": MODELS,
            "seeds/notes.yaml": "\n".join(lines) + "\ntable: notes\nrows: *a11\n",
        },
    )
    started = time.monotonic()
    code, _out, verdict = _seed(layout.root, "--timeout", "30")
    assert time.monotonic() - started < 20
    assert code == 1
    (finding,) = verdict["findings"]
    assert (finding["rule"], finding["path"]) == ("invalid-file", "seeds/notes.yaml")


def test_seed_file_linked_to_a_secret_outside(layout: Layout) -> None:
    secret = layout.root.parent / "creds.yaml"
    secret.write_text(f"table: notes\nrows:\n  - {{id: 1, body: {SECRET}}}\n", encoding="utf-8")
    write_files(layout.root, {"models.py": MODELS})
    (layout.root / "seeds").mkdir()
    os.symlink(secret, layout.root / "seeds" / "notes.yaml")
    code, out, verdict = _seed(layout.root)
    assert code == 1
    assert verdict["findings"][0]["rule"] == "unreadable-file"
    no_secret_anywhere(SECRET, out, root=layout.root)


def test_seeds_folder_linked_outside(layout: Layout) -> None:
    (layout.outside / "notes.yaml").write_text(
        f"table: notes\nrows:\n  - {{id: 1, body: {SECRET}}}\n", encoding="utf-8"
    )
    write_files(layout.root, {"models.py": MODELS})
    os.symlink(layout.outside, layout.root / "seeds")
    code, out, verdict = _seed(layout.root)
    assert code == 1
    assert "outside the project" in verdict["findings"][0]["message"]
    no_secret_anywhere(SECRET, out, root=layout.root)


def test_seed_file_linked_to_a_device(layout: Layout) -> None:
    write_files(layout.root, {"models.py": MODELS})
    (layout.root / "seeds").mkdir()
    os.symlink("/dev/zero", layout.root / "seeds" / "notes.json")
    os.mkfifo(layout.root / "seeds" / "more.csv")
    started = time.monotonic()
    code, _out, verdict = _seed(layout.root, "--timeout", "30")
    assert time.monotonic() - started < 20
    assert code == 1
    assert {f["rule"] for f in verdict["findings"]} == {"unreadable-file"}


def test_huge_and_deep_json_seed_is_a_finding(layout: Layout) -> None:
    write_files(
        layout.root,
        {
            "models.py": MODELS,
            "seeds/a.json": '{"table": "notes", "rows": [{"id": ' + "7" * 6000 + "}]}",
            "seeds/b.json": '{"table": "notes", "rows": [' + "[" * 20000 + "]" * 20000 + "]}",
        },
    )
    code, out, verdict = _seed(layout.root)
    assert code == 1
    assert "internal error" not in out
    assert sorted((f["rule"], f["path"]) for f in verdict["findings"]) == [
        ("invalid-file", "seeds/a.json"),
        ("invalid-file", "seeds/b.json"),
    ]


def test_repo_config_may_not_allow_remote_seeding(layout: Layout) -> None:
    write_files(
        layout.root,
        {
            "models.py": MODELS,
            "pyproject.toml": "[tool.qualgate.seed]\nallow-remote = true\n",
            "seeds/notes.yaml": "table: notes\nrows:\n  - {id: 1, body: x}\n",
        },
    )
    run = run_qualgate(
        "seed", str(layout.root), "--database-url", "postgresql://app@203.0.113.9:5432/app"
    )
    assert run.code == 2
    assert run.verdict is not None
    assert "allow-remote" in run.verdict["summary"]


def test_url_env_value_is_never_printed(layout: Layout) -> None:
    write_files(
        layout.root,
        {
            "alembic.ini": "[alembic]\nscript_location = migrations\n",
            "migrations/env.py": "raise SystemExit(1)\n",
            "migrations/versions/.keep": "",
        },
    )
    value = f"postgresql://app:{SECRET}@prod.example.com/app"
    run = run_qualgate("migration-check", str(layout.root), "--url-env", f"APP_DB={value}")
    assert run.code == 2
    no_secret_anywhere(SECRET, run.stdout, run.stderr, root=layout.root)


def test_env_py_echoing_the_scratch_url_shows_no_password(layout: Layout) -> None:
    from qualgate.gates.migration_check import servers_bins

    if servers_bins.local("postgresql", None, []) is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    write_files(
        layout.root,
        {
            "alembic.ini": "[alembic]\nscript_location = migrations\n",
            "migrations/env.py": (
                "import os\nfrom sqlalchemy.dialects import postgresql\n"
                "raise RuntimeError('connecting to ' + os.environ['DATABASE_URL'] + ' as '"
                " + os.environ['POSTGRES_PASSWORD'])\n"
            ),
            "migrations/versions/.keep": "",
        },
    )
    run = run_qualgate(
        "migration-check",
        str(layout.root),
        "--server",
        "local",
        "--no-cache",
        env={"DATABASE_URL": f"postgresql://app:{SECRET}@prod.example.com/app"},
    )
    assert run.code == 2
    assert run.verdict is not None
    assert "connecting to postgresql" in run.verdict["summary"]
    assert not re.search(r"postgresql(\+\w+)?://postgres:(?!\*\*\*)[^@]+@", run.stdout)
    assert re.search(r"as \*\*\*", run.stdout)
    no_secret_anywhere(SECRET, run.stdout, run.stderr, root=layout.root)
