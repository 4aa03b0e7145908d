"""Each venue's time zone (an IANA name, from VenueConfigured); venues configured before it was
known read "Europe/Paris", as the event's default says.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    """The service's schema, where Alembic keeps its version table: ALTER TABLE is rendered
    without the engine's schema_translate_map (CREATE TABLE gets it), so it names the schema."""
    schema: str | None = op.get_context().version_table_schema
    return schema


def upgrade() -> None:
    op.add_column(
        "venues",
        sa.Column("time_zone", sa.Text, nullable=False, server_default="Europe/Paris"),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_column("venues", "time_zone", schema=_schema())
