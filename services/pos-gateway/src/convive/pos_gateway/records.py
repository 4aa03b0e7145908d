"""Tables the pos-gateway's commands own, which no event could rebuild because what they keep
must never be in an event: staff accounts with their password hashes, pairing codes (as
digests), and the counters of failed attempts that lock out password and code guessing."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from convive.pos_gateway.schema import metadata

staff_accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("staff_id", sa.Text, primary_key=True),
    # Lower-cased, so that one person cannot hold two accounts by changing case.
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("venue_ids", ARRAY(sa.Text), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id, with its own salt
    sa.Column("opened_by", sa.Text, nullable=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
)

pairing_codes = sa.Table(
    "pairing_codes",
    metadata,
    sa.Column("code_sha256", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("issued_by", sa.Text, nullable=False),  # the staff account
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("device_id", sa.Text, nullable=True),  # the device it paired
)

# One row per guarded key ("login:<email>", "pair:<client>"): failures counted since
# `window_started_at`; past the limit the key is locked until `locked_until`.
attempt_throttles = sa.Table(
    "attempt_throttles",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
)
