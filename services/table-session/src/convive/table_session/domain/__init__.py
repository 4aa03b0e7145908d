"""The table-session domain, free of I/O: frozen states folded from their streams (`fold`), and
the decisions that turn a command into new events or refuse it with a domain error naming the
field at fault.

- `venues`: a venue's settings (name, staff language, time zone, concierge address, PMS).
- `profit_centres`: a venue's dining room, terrace or bar, and its journey mode.
- `spots`: a table or room, its QR token, its session with the guests and the PIN; creating a
  spot, rotating its token or the PIN, closing the session.
- `scans`: every rule of a phone's scan (open, join, recall, read the menu, the PIN, lock-outs).
"""
