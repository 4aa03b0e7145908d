"""Alembic environment of the pos-gateway service's schema."""

from convive.pos_gateway.projections import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
