"""The spots ordering learns from table-session (names for tickets, kinds for concierge offers),
the POS's amendments and rejections of rounds, and the production tickets of validated rounds.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spots",
        sa.Column("spot_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("profit_centre_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("spot_id", name="pk_spots"),
    )
    op.create_table(
        "pos_rounds",
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("round_number", sa.Integer, nullable=False),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("lines", JSONB, nullable=True),
        sa.Column("round_total_minor", sa.BigInteger, nullable=True),
        sa.Column("currency", sa.Text, nullable=True),
        sa.Column("amendment_note", sa.Text, nullable=True),
        sa.Column("amended_by", sa.Text, nullable=True),
        sa.Column("rejected_reason", sa.Text, nullable=True),
        sa.Column("rejected_by", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("order_id", "round_number", name="pk_pos_rounds"),
    )
    op.create_index("ix_pos_rounds_session_id", "pos_rounds", ["session_id"])
    op.create_table(
        "production_tickets",
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("round_number", sa.Integer, nullable=False),
        sa.Column("station", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("spot_name", sa.Text, nullable=True),
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "order_id", "round_number", "station", name="pk_production_tickets"
        ),
    )
    op.create_index(
        "ix_production_tickets_venue_sent", "production_tickets", ["venue_id", "sent_at"]
    )


def downgrade() -> None:
    op.drop_table("production_tickets")
    op.drop_table("pos_rounds")
    op.drop_table("spots")
