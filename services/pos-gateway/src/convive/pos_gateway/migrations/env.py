"""Alembic environment of the pos-gateway service's schema."""

import convive.pos_gateway.folio_projections
import convive.pos_gateway.records  # noqa: F401 (registers its tables in metadata)
from convive.pos_gateway.projections import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
