"""Topic names: one events topic and one dead-letter topic per service.

A namespace prefix isolates one test's (or one tenant's) topics from another's on a shared broker;
in production it is empty.
"""

from typing import Final

SERVICES: Final = (
    "table-session",
    "ordering",
    "pos-gateway",
    "loyalty",
    "crm",
    "notifier",
    "gateway",
)


def _check(service: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    return service


def events_topic(service: str, namespace: str = "") -> str:
    """The topic where `service` publishes its events, e.g. `convive.ordering.events`."""
    return f"{namespace}convive.{_check(service)}.events"


def dlq_topic(service: str, namespace: str = "") -> str:
    """Where `service`'s consumers put records they cannot process, with the error."""
    return f"{namespace}convive.{_check(service)}.dlq"
