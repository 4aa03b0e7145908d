"""Reads of the crm service's read models for its API (none yet: issue 12 builds them)."""
