"""Alembic environment of the pos-gateway service's schema."""

# Imported for their tables, which register in the metadata.
import convive.pos_gateway.folio_projections
import convive.pos_gateway.records  # noqa: F401
from convive.pos_gateway.projections import metadata
from convive.runtime.migrations import run_env

run_env(metadata)
