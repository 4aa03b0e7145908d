"""Read models the loyalty service keeps: `own.py` for its own events, one module per source
service for what it learns from the others (none yet: issue 11 builds them)."""
