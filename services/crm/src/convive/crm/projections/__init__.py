"""Read models the crm service keeps: `own.py` for its own events, one module per source
service for what it learns from the others (none yet: issue 12 builds them)."""
