"""What table-session is asked to do, one module per feature: each loads the stream it decides
on, decides with the domain and appends at the version it read (a lost race is decided again
on fresh state); the event store writes the own read models in the append's transaction.

- `venues`: set a venue's settings.
- `profit_centres`: set up or change a profit centre.
- `spots`: create a spot with its QR token; rotate the token.
- `scans`: a phone scanned a QR code (open, join, recall, read the menu, the PIN rules).
- `sessions`: rotate a session's PIN (staff); close it when the bill is settled.
- `store`: the one event store the commands append to, and the decide-and-append they share.
"""

from convive.table_session.commands.store import event_store

__all__ = ["event_store"]
