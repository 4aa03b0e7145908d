"""Topic names: one events topic and one dead-letter topic per service."""

import pytest

from convive.contracts import SERVICES, dlq_topic, events_topic


def test_events_topic() -> None:
    assert events_topic("ordering") == "convive.ordering.events"
    assert events_topic("table-session") == "convive.table-session.events"


def test_dlq_topic() -> None:
    assert dlq_topic("ordering") == "convive.ordering.dlq"
    assert dlq_topic("pos-gateway") == "convive.pos-gateway.dlq"


def test_namespace_prefixes_both_topics() -> None:
    assert events_topic("ordering", namespace="t42.") == "t42.convive.ordering.events"
    assert dlq_topic("ordering", namespace="t42.") == "t42.convive.ordering.dlq"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_distinct_topics(service: str) -> None:
    assert events_topic(service) == f"convive.{service}.events"
    assert dlq_topic(service) == f"convive.{service}.dlq"
    assert events_topic(service) != dlq_topic(service)


@pytest.mark.parametrize("topic", [events_topic, dlq_topic])
@pytest.mark.parametrize("service", ["billing", "Ordering", "", "convive.ordering"])
def test_unknown_service_is_rejected(topic, service: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="unknown service"):
        topic(service)


def test_services_are_unique() -> None:
    assert len(SERVICES) == len(set(SERVICES))
    assert {"table-session", "ordering", "pos-gateway"} <= set(SERVICES)
