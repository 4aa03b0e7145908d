"""How a concierge order's posting to the PMS goes moves to a table of its own.

`folio_postings` kept, in one row, both ordering's facts of a concierge order and the POS's own
outcomes of posting it, so two projections (of two topics) wrote one table and neither could be
rebuilt alone. The outcomes (tries, errors, schedule, the posting) move to
`folio_posting_outcomes`, written from the POS's own events with the version of the posting's
stream; `folio_postings` keeps what ordering said. Existing outcomes are copied over, each with
the version its stream stands at.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OUTCOME_COLUMNS = (
    "attempts",
    "last_error",
    "last_failed_at",
    "next_attempt_at",
    "posted_at",
    "pms_reference",
    "method",
    "posted_by",
)


def _schema() -> str:
    """The service's schema: Alembic renders ALTER TABLE and raw SQL without the engine's
    schema_translate_map (CREATE TABLE gets it), so those name the schema."""
    mapping = op.get_bind().get_execution_options().get("schema_translate_map") or {}
    return str(mapping[None])


def upgrade() -> None:
    schema = _schema()
    op.create_table(
        "folio_posting_outcomes",
        sa.Column("offer_order_id", sa.Text),
        sa.Column("venue_id", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pms_reference", sa.Text, nullable=True),
        sa.Column("method", sa.Text, nullable=True),
        sa.Column("posted_by", sa.Text, nullable=True),
        sa.Column("amount_minor", sa.BigInteger, nullable=True),
        sa.Column("currency", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("offer_order_id", name="pk_folio_posting_outcomes"),
    )
    op.create_index(
        "ix_folio_posting_outcomes_due",
        "folio_posting_outcomes",
        ["next_attempt_at"],
        postgresql_where=sa.text("posted_at IS NULL"),
    )
    op.execute(
        f"""
        INSERT INTO "{schema}".folio_posting_outcomes (
            offer_order_id, venue_id, attempts, last_error, last_failed_at, next_attempt_at,
            posted_at, pms_reference, method, posted_by, amount_minor, currency, version)
        SELECT p.offer_order_id, p.venue_id, p.attempts, p.last_error, p.last_failed_at,
               CASE WHEN p.posted_at IS NULL THEN p.next_attempt_at END,
               p.posted_at, p.pms_reference, p.method, p.posted_by,
               CASE WHEN p.posted_at IS NOT NULL THEN p.amount_minor END,
               CASE WHEN p.posted_at IS NOT NULL THEN p.currency END,
               coalesce(
                   (SELECT max(e.stream_version) FROM "{schema}".events e
                    WHERE e.stream_id = 'folio-' || p.offer_order_id),
                   p.attempts + CASE WHEN p.posted_at IS NULL THEN 0 ELSE 1 END)
        FROM "{schema}".folio_postings p
        WHERE p.attempts > 0 OR p.posted_at IS NOT NULL
        """  # the schema is the service's own identifier
    )
    # What only the POS's own events had written there is ordering's to say now.
    op.execute(
        f"""
        DELETE FROM "{schema}".folio_postings
        WHERE ordered_at IS NULL AND confirmed_at IS NULL AND cancelled_at IS NULL
        """  # the schema is the service's own identifier
    )
    op.execute(
        f"""
        UPDATE "{schema}".folio_postings SET amount_minor = NULL, currency = NULL
        WHERE ordered_at IS NULL
        """  # the schema is the service's own identifier
    )
    op.drop_index("ix_folio_postings_due", table_name="folio_postings", schema=schema)
    for name in _OUTCOME_COLUMNS:
        op.drop_column("folio_postings", name, schema=schema)


def downgrade() -> None:
    schema = _schema()
    for column in (
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pms_reference", sa.Text, nullable=True),
        sa.Column("method", sa.Text, nullable=True),
        sa.Column("posted_by", sa.Text, nullable=True),
    ):
        op.add_column("folio_postings", column, schema=schema)
    assignments = ", ".join(f"{name} = o.{name}" for name in _OUTCOME_COLUMNS)
    op.execute(
        f"""
        UPDATE "{schema}".folio_postings p SET {assignments}
        FROM "{schema}".folio_posting_outcomes o WHERE o.offer_order_id = p.offer_order_id
        """  # the schema is the service's own identifier
    )
    op.execute(
        f"""
        UPDATE "{schema}".folio_postings SET next_attempt_at = confirmed_at
        WHERE attempts = 0 AND posted_at IS NULL AND confirmed_at IS NOT NULL
        """  # the schema is the service's own identifier
    )
    op.create_index(
        "ix_folio_postings_due",
        "folio_postings",
        ["next_attempt_at"],
        postgresql_where=sa.text("posted_at IS NULL AND cancelled_at IS NULL"),
        schema=schema,
    )
    op.drop_table("folio_posting_outcomes")
