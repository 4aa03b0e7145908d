"""Alembic environment of the pos-gateway service's schema: every table is in `tables`."""

from convive.pos_gateway.tables import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
