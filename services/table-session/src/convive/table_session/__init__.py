"""Convive table-session service: spots, QR tokens, sessions, PINs and join rules."""
