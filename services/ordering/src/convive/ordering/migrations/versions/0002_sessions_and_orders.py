"""The table sessions ordering knows from table-session's events, their guests, and the session
of each order.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("spot_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("session_id", name="pk_sessions"),
    )
    op.create_table(
        "session_guests",
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("guest_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("session_id", "guest_id", name="pk_session_guests"),
    )
    op.create_table(
        "order_sessions",
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("order_id", name="pk_order_sessions"),
    )


def downgrade() -> None:
    op.drop_table("order_sessions")
    op.drop_table("session_guests")
    op.drop_table("sessions")
