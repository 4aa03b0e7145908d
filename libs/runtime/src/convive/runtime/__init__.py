"""Convive's event-sourcing runtime: event store with transactional outbox, outbox relay to Kafka,
idempotent consumers and projections, and the wiring every service app is built from."""
