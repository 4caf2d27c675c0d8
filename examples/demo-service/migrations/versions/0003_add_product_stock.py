"""add products.stock

A NOT NULL column on an existing table needs a server default, so that rows already
there get a value (qualgate's add-not-null-column rule).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:32:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(sa.Column("stock", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("stock")
