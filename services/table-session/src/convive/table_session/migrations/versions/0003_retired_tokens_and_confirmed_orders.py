"""Replaced QR tokens (a scan of one is told the code is no longer valid) and the sessions whose
order was confirmed (from ordering's OrderPlaced: a new phone then needs the PIN).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retired_tokens",
        sa.Column("token", sa.Text),
        sa.Column("spot_id", sa.Text, nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_retired_tokens"),
    )
    op.create_table(
        "confirmed_orders",
        sa.Column("session_id", sa.Text),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("spot_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_confirmed_orders"),
    )


def downgrade() -> None:
    op.drop_table("confirmed_orders")
    op.drop_table("retired_tokens")
