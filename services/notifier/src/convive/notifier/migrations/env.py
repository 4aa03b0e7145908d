"""Alembic environment of the notifier service's schema."""

from convive.notifier import outgoing  # noqa: F401 (its tables join the metadata)
from convive.notifier.projections import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
