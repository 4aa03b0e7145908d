"""Alembic environment of the loyalty service's schema."""

from convive.loyalty.tables import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
