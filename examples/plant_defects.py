"""Copy the demo service and plant one defect per gate, so `make demo` can show what a
failing verdict and its fix hints look like. Usage: plant_defects.py SOURCE DEST"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DEFECTS = {
    # lint-format: an unused import and a function without types.
    "src/demo_service/inventory.py": ("append", "\n\nimport os\n\n\ndef planted(x):\n    return x\n"),
    # run-tests: a failing test.
    "tests/test_inventory.py": ("append", "\n\ndef test_planted() -> None:\n    assert 1 + 1 == 3\n"),
    # dependency-scan: a release with a known advisory in the demo's offline database.
    "requirements.txt": ("append", "fastapi==0.65.1\n"),
    # artifact-validate: a link to a file that does not exist.
    "artifacts/adr/0001-use-sqlalchemy.md": ("append", "\nSee [the plan](missing-plan.md).\n"),
    # seed: a row for a column the table does not have.
    "seeds/categories.yaml": ("append", "  - id: 99\n    slug: planted\n    colour: red\n"),
    # migration-check: a revision whose downgrade does not undo its upgrade.
    "migrations/versions/0004_planted.py": (
        "write",
        '"""Planted: add a column, and forget to drop it on downgrade."""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        'revision = "0004"\ndown_revision = "0003"\n\n\n'
        "def upgrade() -> None:\n"
        '    op.add_column("products", sa.Column("colour", sa.String(20), nullable=True))\n\n\n'
        "def downgrade() -> None:\n    pass\n",
    ),
}


def main(source: str, dest: str) -> None:
    target = Path(dest)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".qualgate", "__pycache__"))
    for rel, (how, text) in DEFECTS.items():
        path = target / rel
        if how == "append":
            path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
        else:
            path.write_text(text, encoding="utf-8")
    # openapi-lint: a reference to a schema the document does not define.
    contract = target / "openapi.yaml"
    text = contract.read_text(encoding="utf-8")
    text = text.replace('"#/components/schemas/ProductIn"', '"#/components/schemas/ProductNew"', 1)
    contract.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
