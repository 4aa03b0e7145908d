"""The table-session HTTP API, one module per audience: `guest` (a phone's scan, and the
session it is seated at) and `staff` (the venue's settings, profit centres, spots, their QR
codes and printable sheet, token and PIN rotation; the POS console reads the spots there too).
Commands answer with what happened (the new state and the event ids); queries read the read
models, which are current when a command's answer returns. `qr_codes` draws the QR codes the
staff endpoints answer; `inputs` holds what both audiences' requests share."""

from convive.table_session.api import guest, staff

ROUTES = [*staff.ROUTES, *guest.ROUTES]
