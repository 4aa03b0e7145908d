"""Benchmarks of the Convive runtime against real Kafka and PostgreSQL, each figure printed next
to its baseline (plain aiokafka, and the `eventsourcing` library's PostgreSQL event store)."""
