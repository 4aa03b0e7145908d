"""Alembic environment of the table-session service's schema."""

from convive.runtime.migrations import run_env
from convive.table_session.tables import metadata

run_env(metadata)
