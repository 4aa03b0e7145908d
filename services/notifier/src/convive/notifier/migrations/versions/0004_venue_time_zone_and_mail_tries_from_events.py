"""Venues keep their time zone (the e-mails' dates and times are the venue's); an e-mail's
status follows the notifier's own NotificationSent/Failed events, and when a failing e-mail is
tried next moves to a table of the sender's own (`mail_retries`), which a rebuild of the read
models leaves alone.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _schema() -> str:
    """The service's schema. ALTER TABLE and plain SQL are rendered without the engine's
    schema_translate_map (CREATE TABLE is not), so they name the schema."""
    mapping = op.get_bind().get_execution_options().get("schema_translate_map") or {}
    return str(mapping[None])


def upgrade() -> None:
    schema = _schema()
    op.add_column(
        "venues",
        sa.Column("time_zone", sa.Text, nullable=False, server_default="Europe/Paris"),
        schema=schema,
    )
    op.add_column(
        "outgoing_mails",
        sa.Column("planned", sa.Boolean, nullable=False, server_default=sa.true()),
        schema=schema,
    )
    op.create_table(
        "mail_retries",
        sa.Column("notification_id", sa.Text, nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notification_id", name="pk_mail_retries"),
        schema=schema,
    )
    op.execute(
        f'INSERT INTO "{schema}".mail_retries (notification_id, retry_at) '
        f'SELECT notification_id, next_attempt_at FROM "{schema}".outgoing_mails '
        "WHERE status = 'failing' AND next_attempt_at IS NOT NULL"
    )
    op.drop_index("ix_outgoing_mails_due", table_name="outgoing_mails", schema=schema)
    op.drop_column("outgoing_mails", "next_attempt_at", schema=schema)
    op.create_index(
        "ix_outgoing_mails_status_created_at",
        "outgoing_mails",
        ["status", "created_at"],
        schema=schema,
    )


def downgrade() -> None:
    schema = _schema()
    op.drop_index("ix_outgoing_mails_status_created_at", table_name="outgoing_mails", schema=schema)
    op.add_column(
        "outgoing_mails",
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        schema=schema,
    )
    op.execute(
        f'UPDATE "{schema}".outgoing_mails m SET next_attempt_at = coalesce('
        f'(SELECT r.retry_at FROM "{schema}".mail_retries r '
        "WHERE r.notification_id = m.notification_id), m.created_at) "
        "WHERE m.status IN ('pending', 'failing')"
    )
    op.create_index(
        "ix_outgoing_mails_due", "outgoing_mails", ["status", "next_attempt_at"], schema=schema
    )
    op.drop_table("mail_retries", schema=schema)
    op.drop_column("outgoing_mails", "planned", schema=schema)
    op.drop_column("venues", "time_zone", schema=schema)
