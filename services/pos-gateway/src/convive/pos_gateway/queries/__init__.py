"""Reads for the API and the commands, one module per subject: `orders` (the orders as the POS
knows them, and what a decision on one starts from), `folio_postings` (concierge orders and how
their posting to the PMS goes), `staff` (staff accounts), `devices` (the venues' devices)."""
