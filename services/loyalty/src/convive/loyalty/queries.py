"""Reads of the loyalty service's read models for its API (none yet: issue 11 builds them)."""
