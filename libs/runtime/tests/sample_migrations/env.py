"""Alembic environment of the sample service used by test_app."""

from convive.runtime.db import metadata
from convive.runtime.migrations import run_env

run_env(metadata())
