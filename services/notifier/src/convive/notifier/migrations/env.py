"""Alembic environment of the notifier service's schema."""

from convive.notifier.tables import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
