"""Alembic environment of the ordering service's schema."""

from convive.ordering import own_views  # noqa: F401  (its tables join the metadata)
from convive.ordering.projections import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
