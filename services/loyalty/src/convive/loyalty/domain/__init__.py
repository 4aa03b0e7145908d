"""The loyalty domain, free of I/O: frozen states folded from streams and the decisions that
turn a command into events (none yet: issue 11 builds them)."""
