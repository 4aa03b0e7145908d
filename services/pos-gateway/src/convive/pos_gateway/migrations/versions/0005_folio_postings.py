"""Concierge orders to post to the PMS folio, and how their posting goes.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "folio_venue_settings",
        sa.Column("event_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("configured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pms_integration", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_folio_venue_settings"),
    )
    op.create_index(
        "ix_folio_venue_settings_venue_id_configured_at",
        "folio_venue_settings",
        ["venue_id", "configured_at"],
    )
    op.create_table(
        "folio_postings",
        sa.Column("offer_order_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("amount_minor", sa.BigInteger, nullable=True),
        sa.Column("currency", sa.Text, nullable=True),
        sa.Column("spot_id", sa.Text, nullable=True),
        sa.Column("room", sa.Text, nullable=True),
        sa.Column("guest_name", sa.Text, nullable=True),
        sa.Column("offer_name", JSONB, nullable=True),
        sa.Column("offer_type", sa.Text, nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.Text, nullable=True),
        sa.Column("confirmed_event_id", sa.Text, nullable=True),
        sa.Column("correlation_id", sa.Text, nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pms_reference", sa.Text, nullable=True),
        sa.Column("method", sa.Text, nullable=True),
        sa.Column("posted_by", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("offer_order_id", name="pk_folio_postings"),
    )
    op.create_index("ix_folio_postings_venue_id", "folio_postings", ["venue_id"])
    # What the posting worker looks for: the tries still to make, by when they are due.
    op.create_index(
        "ix_folio_postings_due",
        "folio_postings",
        ["next_attempt_at"],
        postgresql_where=sa.text("posted_at IS NULL AND cancelled_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("folio_postings")
    op.drop_table("folio_venue_settings")
