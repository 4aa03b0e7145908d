"""The POS's read models: paired devices, orders and rounds from ordering, validations and
payments.

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
        "devices",
        sa.Column("device_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("credential_sha256", sa.Text, nullable=False),
        sa.Column("paired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name="pk_devices"),
        sa.UniqueConstraint("credential_sha256", name="uq_devices_credential_sha256"),
    )
    op.create_index("ix_devices_venue_id", "devices", ["venue_id"])
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("spot_id", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("order_total_minor", sa.BigInteger, nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name="pk_orders"),
    )
    op.create_index("ix_orders_venue_id", "orders", ["venue_id"])
    op.create_table(
        "rounds",
        sa.Column("order_id", sa.Text),
        sa.Column("round_number", sa.Integer),
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("round_total_minor", sa.BigInteger, nullable=False),
        sa.Column("order_total_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("placed_by", sa.Text, nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("correlation_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "round_number", name="pk_rounds"),
    )
    op.create_table(
        "validations",
        sa.Column("order_id", sa.Text),
        sa.Column("round_number", sa.Integer),
        sa.Column("validated_by", sa.Text, nullable=False),
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "round_number", name="pk_validations"),
    )
    op.create_table(
        "payments",
        sa.Column("event_id", sa.Text),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("payment_card_token", sa.Text, nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_payments"),
    )
    op.create_index("ix_payments_order_id", "payments", ["order_id"])


def downgrade() -> None:
    for table in ("payments", "validations", "rounds", "orders", "devices"):
        op.drop_table(table)
