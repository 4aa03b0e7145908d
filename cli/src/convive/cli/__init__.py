"""The `convive` command: run the whole platform on one machine, and operate it."""
