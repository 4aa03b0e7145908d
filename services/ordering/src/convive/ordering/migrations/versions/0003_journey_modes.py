"""The journey mode of each profit centre (from table-session's ProfitCentreConfigured), and the
profit centre and host of each session (from SessionOpened).

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    """The service's schema. ALTER TABLE is rendered by Alembic without the engine's
    schema_translate_map (CREATE TABLE is not), so column changes name the schema."""
    mapping = op.get_bind().get_execution_options().get("schema_translate_map") or {}
    return mapping.get(None)


def upgrade() -> None:
    schema = _schema()
    op.add_column("sessions", sa.Column("profit_centre_id", sa.Text, nullable=True), schema=schema)
    op.add_column("sessions", sa.Column("host_guest_id", sa.Text, nullable=True), schema=schema)
    op.create_table(
        "profit_centres",
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("profit_centre_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("venue_id", "profit_centre_id", name="pk_profit_centres"),
    )


def downgrade() -> None:
    schema = _schema()
    op.drop_table("profit_centres")
    op.drop_column("sessions", "host_guest_id", schema=schema)
    op.drop_column("sessions", "profit_centre_id", schema=schema)
