"""The crm service's command handlers, one module per feature: load, decide with the domain,
append (none yet: issue 12 builds them)."""
