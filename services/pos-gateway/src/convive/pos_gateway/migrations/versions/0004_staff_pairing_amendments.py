"""Staff accounts, pairing codes, revoked devices, amendments and part payments: the accounts
(password hashes only here), pairing codes (as digests) and the lock-out counters; the menu
products the POS prices amendments from; rounds' amendments and rejections; what devices,
validations and payments now also record.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    """The service's schema: Alembic renders ALTER TABLE without the engine's
    schema_translate_map (CREATE TABLE gets it), so column changes name the schema."""
    mapping = op.get_bind().get_execution_options().get("schema_translate_map") or {}
    return mapping.get(None)


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("staff_id", sa.Text),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("venue_ids", ARRAY(sa.Text), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("opened_by", sa.Text, nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("staff_id", name="pk_staff_accounts"),
        sa.UniqueConstraint("email", name="uq_staff_accounts_email"),
    )
    op.create_table(
        "pairing_codes",
        sa.Column("code_sha256", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("issued_by", sa.Text, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("code_sha256", name="pk_pairing_codes"),
    )
    op.create_table(
        "attempt_throttles",
        sa.Column("key", sa.Text),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_attempt_throttles"),
    )
    op.create_table(
        "menu_products",
        sa.Column("venue_id", sa.Text),
        sa.Column("product_id", sa.Text),
        sa.Column("name", JSONB, nullable=False),
        sa.Column("price_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("available", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("venue_id", "product_id", name="pk_menu_products"),
    )
    op.create_table(
        "round_amendments",
        sa.Column("order_id", sa.Text),
        sa.Column("round_number", sa.Integer),
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("round_total_minor", sa.BigInteger, nullable=False),
        sa.Column("amended_by", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("amended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "round_number", name="pk_round_amendments"),
    )
    op.create_table(
        "round_rejections",
        sa.Column("order_id", sa.Text),
        sa.Column("round_number", sa.Integer),
        sa.Column("rejected_by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "round_number", name="pk_round_rejections"),
    )
    schema = _schema()
    for column in (
        sa.Column("paired_by", sa.Text, nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Text, nullable=True),
    ):
        op.add_column("devices", column, schema=schema)
    op.add_column("validations", sa.Column("staff_id", sa.Text, nullable=True), schema=schema)
    for column in (
        # Payments recorded before part payments existed each paid the order in full.
        sa.Column("fully_paid", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("balance_due_minor", sa.BigInteger, nullable=True),
        sa.Column("line_ids", JSONB, nullable=True),
        sa.Column("device_id", sa.Text, nullable=True),
        sa.Column("received_by", sa.Text, nullable=True),
    ):
        op.add_column("payments", column, schema=schema)


def downgrade() -> None:
    schema = _schema()
    for name in ("received_by", "device_id", "line_ids", "balance_due_minor", "fully_paid"):
        op.drop_column("payments", name, schema=schema)
    op.drop_column("validations", "staff_id", schema=schema)
    for name in ("revoked_by", "revoked_at", "paired_by"):
        op.drop_column("devices", name, schema=schema)
    for table in (
        "round_rejections",
        "round_amendments",
        "menu_products",
        "attempt_throttles",
        "pairing_codes",
        "staff_accounts",
    ):
        op.drop_table(table)
