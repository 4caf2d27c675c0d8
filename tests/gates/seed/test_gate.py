"""The gate as a whole: skips, embedded mode, URL safety, password masking, options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.gates.seed.helpers import (
    CATEGORIES_YAML,
    MODELS_PY,
    PRODUCTS_CSV,
    categories,
    count,
    create_schema,
    make_project,
    products,
    seed,
    sqlite_url,
)
from tests.support import REPO, read_verdict_file


def _embedded_project(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    return make_project(
        tmp_path / "proj",
        {
            "models.py": MODELS_PY,
            "seeds/categories.yaml": CATEGORIES_YAML,
            "seeds/products.csv": PRODUCTS_CSV,
            **(extra or {}),
        },
    )


def test_skipped_without_seeds(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", {"README.md": "x"})
    result = seed(root)
    assert result.code == 0
    assert result.verdict is not None
    assert result.verdict["status"] == "skipped"
    assert "no seeds folder (seeds)" in result.verdict["summary"]
    (root / "seeds").mkdir()
    (root / "seeds" / "notes.txt").write_text("not a seed", encoding="utf-8")
    result = seed(root)
    assert result.verdict is not None and result.verdict["status"] == "skipped"
    assert "no seed files" in result.verdict["summary"]
    required = seed(root, "--require")
    assert required.code == 1


def test_embedded_with_metadata(tmp_path: Path) -> None:
    root = _embedded_project(tmp_path)
    result = seed(root, "--metadata", "models:metadata")
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    assert result.verdict["metrics"]["inserted"] == 5
    assert result.verdict["metrics"]["database"] == "embedded SQLite (discarded)"
    assert [c["name"] for c in result.verdict["checks"]] == [
        "read",
        "schema",
        "plan",
        "load",
        "verify",
    ]
    assert read_verdict_file(root, "seed")["status"] == "pass"
    assert __import__("gc").isenabled()  # the gate pauses the cyclic GC, then restores it
    # Nothing is left behind in the project but the verdict.
    assert sorted(p.name for p in root.iterdir()) == [".qualgate", "models.py", "seeds"]


def test_embedded_finds_bad_row(tmp_path: Path) -> None:
    csv = PRODUCTS_CSV.replace("3,G-1,Hose,20,7,1,2", "3,G-1,Hose,20,7,1,42")
    root = _embedded_project(tmp_path, {"seeds/products.csv": csv})
    result = seed(root, "--metadata", "models:metadata")
    assert result.code == 1
    assert [(f["rule"], f["path"], f["line"]) for f in result.findings] == [
        ("missing-parent", "seeds/products.csv", 4)
    ]


def test_embedded_without_schema_is_an_error(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", {"seeds/categories.yaml": CATEGORIES_YAML})
    result = seed(root)
    assert result.code == 2
    assert result.verdict is not None
    assert "no alembic.ini and no --metadata" in result.verdict["summary"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nomodule:metadata", "cannot import nomodule"),
        ("models:nothing", "has no attribute nothing"),
        ("models:CATEGORY", "is not SQLAlchemy MetaData"),
    ],
)
def test_embedded_bad_metadata(tmp_path: Path, spec: str, message: str) -> None:
    root = _embedded_project(tmp_path, {"models.py": MODELS_PY + "CATEGORY = 'x'\n"})
    result = seed(root, "--metadata", spec)
    assert result.code == 2
    assert result.verdict is not None
    assert message in result.verdict["summary"]


def test_metadata_option_is_validated(tmp_path: Path) -> None:
    root = _embedded_project(tmp_path)
    result = seed(root, "--metadata", "no-colon")
    assert result.code == 2
    assert "MODULE:ATTR" in result.stdout


def test_embedded_check_is_refused(tmp_path: Path) -> None:
    root = _embedded_project(tmp_path)
    result = seed(root, "--metadata", "models:metadata", "--check")
    assert result.code == 2
    assert result.verdict is not None
    assert "--database-url" in result.verdict["summary"]


def test_embedded_dry_run_shows_the_plan(tmp_path: Path) -> None:
    root = _embedded_project(tmp_path)
    result = seed(root, "--metadata", "models:metadata", "--dry-run")
    assert result.code == 0
    assert len(result.findings) == 5
    assert {f["rule"] for f in result.findings} == {"would-insert"}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://app:hunter2@db.example.com/app", "db.example.com is not this machine"),
        ("mysql://root:hunter2@10.0.0.5/shop", "10.0.0.5 is not this machine"),
        ("postgresql://app:hunter2@127.0.0.1/shop_prod", "looks like production (prod)"),
        ("postgresql://app:hunter2@localhost/production", "looks like production (production)"),
        ("mysql://root:hunter2@127.0.0.1/live-shop", "looks like production (live)"),
        ("sqlite:///prod.db", "looks like production (prod)"),
    ],
)
def test_remote_and_production_urls_are_refused(tmp_path: Path, url: str, reason: str) -> None:
    root = make_project(tmp_path / "proj", {"seeds/categories.yaml": CATEGORIES_YAML})
    result = seed(root, "--database-url", url)
    assert result.code == 2
    assert result.verdict is not None
    assert reason in result.verdict["summary"]
    assert "--allow-remote" in " ".join(result.verdict["next_steps"])
    assert "hunter2" not in result.stdout
    assert "hunter2" not in json.dumps(read_verdict_file(root, "seed"))


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "not a url",
        "postgresql+nodriver://u:hunter2@127.0.0.1/x",
    ],
)
def test_unusable_urls_are_errors(tmp_path: Path, url: str) -> None:
    root = make_project(tmp_path / "proj", {"seeds/categories.yaml": CATEGORIES_YAML})
    result = seed(root, "--database-url", url)
    assert result.code == 2, result.stdout
    assert "hunter2" not in result.stdout


def test_allow_remote_lets_a_production_name_through(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    create_schema(url)
    root = make_project(tmp_path / "proj", {"seeds/categories.yaml": CATEGORIES_YAML})
    refused = seed(root, "--database-url", url)
    assert refused.code == 2
    allowed = seed(root, "--database-url", url, "--allow-remote")
    assert allowed.code == 0, allowed.stdout
    assert count(url, categories) == 2


@pytest.mark.postgres
def test_password_is_masked_everywhere(tmp_path: Path, postgres_url: str) -> None:
    # The loopback server trusts every login, so any password connects: a real run.
    url = make_url(postgres_url).set(password="s3cr3t-pw").render_as_string(hide_password=False)
    create_schema(url)
    root = make_project(
        tmp_path / "proj",
        {"seeds/categories.yaml": CATEGORIES_YAML, "seeds/products.csv": PRODUCTS_CSV},
    )
    for args in ((), ("--check", "--timeout", "90"), ("--dry-run",)):
        result = seed(root, "--database-url", url, *args)
        assert result.verdict is not None
        text = result.stdout + json.dumps(read_verdict_file(root, "seed"))
        assert "s3cr3t-pw" not in text
        assert "***" in result.verdict["summary"] or "***" in result.verdict["metrics"]["database"]
        assert "--database-url" in result.verdict["reproduce"]
        assert result.verdict["reproduce"].startswith("qualgate seed ")
        assert "***" in result.verdict["reproduce"]
        assert ("--timeout 90" in result.verdict["reproduce"]) == ("--timeout" in args)
    text_run = seed(root, "--database-url", url, "--format", "text")
    assert "s3cr3t-pw" not in text_run.stdout
    # A connection failure names the server without the password.
    bad = make_url(url).set(port=1).render_as_string(hide_password=False)
    failed = seed(root, "--database-url", bad)
    assert failed.code == 2
    assert "s3cr3t-pw" not in failed.stdout


def test_missing_sqlite_file_and_migrate(tmp_path: Path) -> None:
    root = _embedded_project(tmp_path)
    url = f"sqlite:///{tmp_path / 'new.db'}"
    missing = seed(root, "--database-url", url)
    assert missing.code == 2
    assert missing.verdict is not None and "no such SQLite file" in missing.verdict["summary"]
    migrated = seed(root, "--database-url", url, "--migrate", "--metadata", "models:metadata")
    assert migrated.code == 0, migrated.stdout
    assert count(url, products) == 3
    both = seed(root, "--database-url", url, "--migrate", "--check")
    assert both.code == 2


def test_relative_sqlite_url_is_relative_to_the_root(tmp_path: Path) -> None:
    root = _embedded_project(tmp_path)
    create_schema(f"sqlite:///{root / 'local.db'}")
    result = seed(root, "--database-url", "sqlite:///local.db")
    assert result.code == 0, result.stdout
    assert count(f"sqlite:///{root / 'local.db'}", categories) == 2


def test_env_overlay_folder_must_exist(tmp_path: Path) -> None:
    root = _embedded_project(tmp_path)
    result = seed(root, "--metadata", "models:metadata", "--env", "staging")
    assert result.code == 2
    assert result.verdict is not None
    assert "no overlay folder seeds/staging" in result.verdict["summary"]
    bad = seed(root, "--metadata", "models:metadata", "--env", "../x")
    assert bad.code == 2


def test_check_and_dry_run_exclude_each_other(tmp_path: Path) -> None:
    root = _embedded_project(tmp_path)
    result = seed(root, "--check", "--dry-run")
    assert result.code == 2


def test_config_table_and_seeds_dir(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    create_schema(url)
    root = make_project(
        tmp_path / "proj",
        {
            "pyproject.toml": "[tool.qualgate.seed]\n"
            f'seeds-dir = "db/seed"\ndatabase-url = "{url}"\n',
            "db/seed/categories.yaml": CATEGORIES_YAML,
        },
    )
    result = seed(root)
    assert result.code == 0, result.stdout
    assert count(url, categories) == 2


def test_demo_service_seeds(tmp_path: Path) -> None:
    demo = REPO / "examples" / "demo-service"
    result = seed(demo, "--verdict-dir", str(tmp_path / "verdicts"))
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    assert result.verdict["metrics"]["tables"]["categories"]["inserted"] >= 3
    assert result.verdict["metrics"]["tables"]["products"]["inserted"] >= 4
    dev = seed(demo, "--env", "dev", "--verdict-dir", str(tmp_path / "verdicts"))
    assert dev.code == 0, dev.stdout
    assert dev.verdict is not None
    assert (
        dev.verdict["metrics"]["tables"]["products"]["inserted"]
        == result.verdict["metrics"]["tables"]["products"]["inserted"] + 1
    )


def _demo_copy(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "demo"
    shutil.copytree(
        REPO / "examples" / "demo-service",
        target,
        ignore=shutil.ignore_patterns(".venv", ".qualgate", "__pycache__", "*.egg-info", ".*"),
    )
    return target


@pytest.mark.slow
def test_embedded_schema_from_alembic(tmp_path: Path) -> None:
    demo = _demo_copy(tmp_path)
    if not (demo / "alembic.ini").is_file():
        pytest.skip("examples/demo-service has no alembic.ini yet")
    result = seed(demo)
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    schema = next(c for c in result.verdict["checks"] if c["name"] == "schema")
    assert schema["summary"].startswith("alembic upgrade head")
    # A broken migration is an error (no honest answer), never a pass.
    versions = sorted((demo / "migrations" / "versions").glob("*.py"))
    last = versions[-1]
    last.write_text(
        last.read_text(encoding="utf-8").replace(
            "def upgrade() -> None:\n", "def upgrade() -> None:\n    raise RuntimeError('boom')\n"
        ),
        encoding="utf-8",
    )
    broken = seed(demo)
    assert broken.code == 2, broken.stdout
    assert broken.verdict is not None
    assert "boom" in broken.verdict["summary"] or "failed" in broken.verdict["summary"]


def test_internal_error_is_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qualgate.gates.seed import apply

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("driver said: password hunter2 rejected")

    monkeypatch.setattr(apply, "run_on_url", explode)
    root = make_project(tmp_path / "proj", {"seeds/categories.yaml": CATEGORIES_YAML})
    result = seed(root, "--database-url", "postgresql://u:hunter2@127.0.0.1/app")
    assert result.code == 2
    assert result.verdict is not None
    assert result.verdict["summary"].startswith("internal error: RuntimeError")
    assert "hunter2" not in result.stdout
