"""Alembic environment of the table-session service's schema."""

from convive.runtime.migrations import run_env
from convive.table_session.projections import metadata

run_env(metadata)
