"""The e-mails to send: venues' settings, offer orders, and the outgoing e-mails themselves.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("notification_email", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("venue_id", name="pk_venues"),
    )
    op.create_table(
        "offer_orders",
        sa.Column("offer_order_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("guest_name", sa.Text, nullable=False),
        sa.Column("guest_email", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("context", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("offer_order_id", name="pk_offer_orders"),
    )
    op.create_table(
        "outgoing_mails",
        sa.Column("notification_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("recipient_role", sa.Text, nullable=False),
        sa.Column("cause_event_id", sa.Text, nullable=False),
        sa.Column("correlation_id", sa.Text, nullable=False),
        sa.Column("offer_order_id", sa.Text, nullable=True),
        sa.Column("language", sa.Text, nullable=True),
        sa.Column("recipient", sa.Text, nullable=True),
        sa.Column("reply_to", sa.Text, nullable=True),
        sa.Column("context", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("notification_id", name="pk_outgoing_mails"),
    )
    op.create_index("ix_outgoing_mails_due", "outgoing_mails", ["status", "next_attempt_at"])
    op.create_index(
        "ix_outgoing_mails_venue_id_created_at", "outgoing_mails", ["venue_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_outgoing_mails_venue_id_created_at", table_name="outgoing_mails")
    op.drop_index("ix_outgoing_mails_due", table_name="outgoing_mails")
    op.drop_table("outgoing_mails")
    op.drop_table("offer_orders")
    op.drop_table("venues")
