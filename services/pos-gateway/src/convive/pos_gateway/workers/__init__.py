"""The service's background loops (the outbox relay aside, which is the runtime's):
`folio_posting`, the worker that posts confirmed concierge orders to the PMS."""
