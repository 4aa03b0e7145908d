"""Convive's contracts: the event envelope, every event schema and the topic names.

This is the only code the services share besides the runtime. Importing this package registers
every event class, so `registry` knows them all.
"""

from convive.contracts import notifier, ordering, pos_gateway, table_session
from convive.contracts.base import Event, EventRegistry, Money, registry
from convive.contracts.envelope import EnvelopeError, EventEnvelope
from convive.contracts.topics import SERVICES, dlq_topic, events_topic

__all__ = [
    "SERVICES",
    "EnvelopeError",
    "Event",
    "EventEnvelope",
    "EventRegistry",
    "Money",
    "dlq_topic",
    "events_topic",
    "notifier",
    "ordering",
    "pos_gateway",
    "registry",
    "table_session",
]
