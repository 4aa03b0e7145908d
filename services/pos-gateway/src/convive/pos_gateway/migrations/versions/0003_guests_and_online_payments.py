"""What the POS learns from table-session to let guests pay from their phone (sessions and
their guests, spots and their kind, profit centres and their mode), and who paid what online.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    """The service's schema: Alembic renders ALTER TABLE without the engine's
    schema_translate_map (CREATE TABLE gets it), so column changes name the schema."""
    mapping = op.get_bind().get_execution_options().get("schema_translate_map") or {}
    return mapping.get(None)


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("spot_id", sa.Text, nullable=False),
        sa.Column("profit_centre_id", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="pk_sessions"),
    )
    op.create_table(
        "session_guests",
        sa.Column("session_id", sa.Text),
        sa.Column("guest_id", sa.Text),
        sa.PrimaryKeyConstraint("session_id", "guest_id", name="pk_session_guests"),
    )
    op.create_table(
        "spots",
        sa.Column("spot_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("profit_centre_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("spot_id", name="pk_spots"),
    )
    op.create_table(
        "profit_centres",
        sa.Column("profit_centre_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("profit_centre_id", name="pk_profit_centres"),
    )
    schema = _schema()
    op.add_column("payments", sa.Column("payment_id", sa.Text, nullable=True), schema=schema)
    op.add_column("payments", sa.Column("paid_by_guest", sa.Text, nullable=True), schema=schema)


def downgrade() -> None:
    schema = _schema()
    op.drop_column("payments", "paid_by_guest", schema=schema)
    op.drop_column("payments", "payment_id", schema=schema)
    for table in ("profit_centres", "spots", "session_guests", "sessions"):
        op.drop_table(table)
