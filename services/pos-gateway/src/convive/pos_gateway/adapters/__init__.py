"""The third parties the POS talks to, each behind an interface of what the POS needs of it:
`payment_provider` (hosted checkouts and signed webhooks; the sandbox provider) and `pms` (the
hotel's property-management system: post a charge to a room's folio; the PMS sandbox)."""
