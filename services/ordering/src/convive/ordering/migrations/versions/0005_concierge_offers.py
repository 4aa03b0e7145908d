"""The concierge offers of each venue and the guests' offer orders (ordering's own read models,
written with the commands).

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
        "offers",
        sa.Column("offer_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("name", JSONB, nullable=False),
        sa.Column("offer_type", sa.Text, nullable=False),
        sa.Column("price_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("description", JSONB, nullable=True),
        sa.Column("auto_confirm", sa.Boolean, nullable=False),
        sa.Column("available", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", name="pk_offers"),
    )
    op.create_index("ix_offers_venue_id", "offers", ["venue_id"])
    op.create_table(
        "offer_orders",
        sa.Column("offer_order_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("offer_id", sa.Text, nullable=False),
        sa.Column("offer_name", JSONB, nullable=False),
        sa.Column("offer_type", sa.Text, nullable=False),
        sa.Column("price_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("spot_id", sa.Text, nullable=False),
        sa.Column("spot_name", sa.Text, nullable=False),
        sa.Column("session_id", sa.Text, nullable=True),
        sa.Column("guest_id", sa.Text, nullable=False),
        sa.Column("guest_name", sa.Text, nullable=False),
        sa.Column("guest_email", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("automatic", sa.Boolean, nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.Text, nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Text, nullable=True),
        sa.Column("cancel_reason", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("offer_order_id", name="pk_offer_orders"),
    )
    op.create_index("ix_offer_orders_session_id", "offer_orders", ["session_id"])
    op.create_index("ix_offer_orders_venue_ordered", "offer_orders", ["venue_id", "ordered_at"])


def downgrade() -> None:
    op.drop_table("offer_orders")
    op.drop_table("offers")
