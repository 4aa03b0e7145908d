"""Who may follow which feed (sessions, their guests, POS devices) and the feeds themselves.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

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
        sa.PrimaryKeyConstraint("session_id", name="pk_sessions"),
    )
    op.create_table(
        "session_guests",
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("guest_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("session_id", "guest_id", name="pk_session_guests"),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("credential_sha256", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("device_id", name="pk_devices"),
    )
    op.create_index("ix_devices_credential_sha256", "devices", ["credential_sha256"])
    op.create_table(
        "feeds",
        sa.Column("feed_kind", sa.Text, nullable=False),
        sa.Column("feed_id", sa.Text, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("feed_kind", "feed_id", name="pk_feeds"),
    )
    op.create_table(
        "feed_entries",
        sa.Column("feed_kind", sa.Text, nullable=False),
        sa.Column("feed_id", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("feed_kind", "feed_id", "seq", name="pk_feed_entries"),
        sa.UniqueConstraint(
            "feed_kind", "feed_id", "event_id", name="uq_feed_entries_feed_kind_feed_id_event_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("feed_entries")
    op.drop_table("feeds")
    op.drop_index("ix_devices_credential_sha256", table_name="devices")
    op.drop_table("devices")
    op.drop_table("session_guests")
    op.drop_table("sessions")
