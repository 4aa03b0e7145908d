"""The one SQLAlchemy metadata of the service's tables (read models and command-owned tables
alike), so that Alembic's environment sees them all."""

from convive.runtime.db import metadata as new_metadata

metadata = new_metadata()
