"""Alembic environment of the ordering service's schema."""

from convive.ordering.tables import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
