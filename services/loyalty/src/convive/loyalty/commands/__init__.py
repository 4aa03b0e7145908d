"""The loyalty service's command handlers, one module per feature: load, decide with the domain,
append (none yet: issue 11 builds them)."""
