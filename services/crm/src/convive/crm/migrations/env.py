"""Alembic environment of the crm service's schema."""

from convive.crm.tables import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
