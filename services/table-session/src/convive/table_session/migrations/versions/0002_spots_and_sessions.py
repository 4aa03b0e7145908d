"""The read models kept from table-session's own events: profit centres, spots (with their
current QR token) and sessions with their guests.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profit_centres",
        sa.Column("profit_centre_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("profit_centre_id", name="pk_profit_centres"),
    )
    op.create_index("ix_profit_centres_venue_id", "profit_centres", ["venue_id"])
    op.create_table(
        "spots",
        sa.Column("spot_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("profit_centre_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("token", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("session_id", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("spot_id", name="pk_spots"),
        sa.UniqueConstraint("token", name="uq_spots_token"),
    )
    op.create_index("ix_spots_venue_id", "spots", ["venue_id"])
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.Text),
        sa.Column("spot_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("profit_centre_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("pin", sa.Text, nullable=False),
        sa.Column("host_guest_id", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_spot_id", "sessions", ["spot_id"])
    op.create_table(
        "session_guests",
        sa.Column("session_id", sa.Text),
        sa.Column("guest_id", sa.Text),
        sa.Column("device_id", sa.Text, nullable=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "guest_id", name="pk_session_guests"),
    )


def downgrade() -> None:
    op.drop_table("session_guests")
    op.drop_table("sessions")
    op.drop_table("spots")
    op.drop_table("profit_centres")
