"""Sample service schema: the runtime tables and the scan-count projection.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from convive.runtime.migrations import create_runtime_tables, drop_runtime_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_runtime_tables()
    op.create_table(
        "scan_counts",
        sa.Column("spot_id", sa.Text, primary_key=True),
        sa.Column("scans", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scan_counts")
    drop_runtime_tables()
