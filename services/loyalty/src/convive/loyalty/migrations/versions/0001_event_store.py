"""The event store, outbox and consumer bookkeeping of the loyalty schema.

Revision ID: 0001
"""

from convive.runtime.migrations import create_runtime_tables, drop_runtime_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_runtime_tables()


def downgrade() -> None:
    drop_runtime_tables()
