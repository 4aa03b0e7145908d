"""The CloudEvents envelope: wrapping, Kafka headers/body/key, reading back, and rejecting bad
records with a message that names the problem."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from convive.contracts import EnvelopeError, EventEnvelope, Money
from convive.contracts.envelope import REQUIRED_HEADERS
from convive.contracts.ordering import CartItemAdded
from convive.contracts.table_session import TableScanned

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def cart_item_added() -> CartItemAdded:
    return CartItemAdded(
        session_id="s-1",
        venue_id="v-1",
        line_id="l-1",
        guest_id="g-1",
        product_id="p-1",
        quantity=2,
        unit_price=Money(amount_minor=1250, currency="EUR"),
    )


def scanned() -> TableScanned:
    return TableScanned(venue_id="établissement-1", spot_id="t-12", device_id="d-9")


def wrapped(**kwargs: str) -> EventEnvelope:
    return EventEnvelope.wrap(cart_item_added(), subject="cart-1", **kwargs)


def headers_dict(envelope: EventEnvelope) -> dict[str, str]:
    return {k: v.decode() for k, v in envelope.headers()}


def valid_record() -> tuple[dict[str, bytes], bytes]:
    envelope = wrapped()
    return dict(envelope.headers()), envelope.body()


# --- wrap ------------------------------------------------------------------------------------


def test_wrap_takes_type_source_version_and_data_from_the_event() -> None:
    event = cart_item_added()
    envelope = EventEnvelope.wrap(event, subject="cart-1")
    assert envelope.type == "CartItemAdded"
    assert envelope.source == "/convive/ordering"
    assert envelope.subject == "cart-1"
    assert envelope.schema_version == 1
    assert envelope.data == event.model_dump(mode="json")
    assert envelope.data["unit_price"] == {"amount_minor": 1250, "currency": "EUR"}
    assert envelope.causation_id is None
    assert envelope.stream_version is None
    uuid.UUID(envelope.id)  # a UUID
    assert envelope.time.tzinfo is not None
    assert abs(datetime.now(UTC) - envelope.time) < timedelta(seconds=5)


def test_wrap_gives_each_event_a_new_id() -> None:
    assert wrapped().id != wrapped().id


def test_wrap_uses_a_given_event_id() -> None:
    assert wrapped(event_id="e-42").id == "e-42"


def test_first_event_correlates_with_itself() -> None:
    envelope = wrapped()
    assert envelope.correlation_id == envelope.id
    assert envelope.causation_id is None


def test_envelope_built_directly_correlates_with_itself() -> None:
    envelope = EventEnvelope(type="X", source="/convive/ordering", subject="s", data={})
    assert envelope.correlation_id == envelope.id


def test_caused_carries_correlation_and_sets_causation() -> None:
    first = wrapped()
    second = EventEnvelope.wrap(scanned(), subject="spot-1", **first.caused())
    third = EventEnvelope.wrap(scanned(), subject="spot-1", **second.caused())
    assert first.caused() == {"correlation_id": first.id, "causation_id": first.id}
    assert second.correlation_id == first.id
    assert second.causation_id == first.id
    assert third.correlation_id == first.id
    assert third.causation_id == second.id


def test_event_returns_the_contract_event() -> None:
    event = cart_item_added()
    assert EventEnvelope.wrap(event, subject="cart-1").event() == event


def test_with_stream_version_returns_a_copy() -> None:
    envelope = wrapped()
    positioned = envelope.with_stream_version(7)
    assert positioned.stream_version == 7
    assert envelope.stream_version is None
    assert positioned.id == envelope.id


# --- Kafka binary content mode ---------------------------------------------------------------


def test_key_is_the_subject() -> None:
    assert wrapped().key() == b"cart-1"


def test_body_is_the_json_data() -> None:
    envelope = EventEnvelope.wrap(scanned(), subject="spot-1")
    assert isinstance(envelope.body(), bytes)
    assert json.loads(envelope.body()) == scanned().model_dump(mode="json")
    assert "établissement".encode() in envelope.body()


def test_headers_are_bytes() -> None:
    for name, value in wrapped().headers():
        assert isinstance(name, str)
        assert isinstance(value, bytes)


def test_every_cloudevents_header_is_present() -> None:
    envelope = wrapped()
    h = headers_dict(envelope)
    assert h["ce_specversion"] == "1.0"
    assert h["ce_id"] == envelope.id
    assert h["ce_type"] == "CartItemAdded"
    assert h["ce_source"] == "/convive/ordering"
    assert h["ce_subject"] == "cart-1"
    assert RFC3339_UTC.match(h["ce_time"]), h["ce_time"]
    assert datetime.fromisoformat(h["ce_time"].replace("Z", "+00:00")) == envelope.time
    assert h["content-type"] == "application/json"
    assert h["convive_schema_version"] == "1"
    assert h["correlation_id"] == envelope.id
    assert set(REQUIRED_HEADERS) <= set(h)


def test_time_header_ends_in_z_even_without_microseconds() -> None:
    envelope = EventEnvelope(
        type="X",
        source="/convive/ordering",
        subject="s",
        data={},
        time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert headers_dict(envelope)["ce_time"] == "2026-01-02T03:04:05Z"


def test_causation_header_only_when_set() -> None:
    first = wrapped()
    assert "causation_id" not in headers_dict(first)
    second = wrapped(**first.caused())
    assert headers_dict(second)["causation_id"] == first.id
    assert headers_dict(second)["correlation_id"] == first.id


def test_stream_version_header_only_when_known() -> None:
    assert "convive_stream_version" not in headers_dict(wrapped())
    assert headers_dict(wrapped().with_stream_version(3))["convive_stream_version"] == "3"


def test_no_header_names_repeat() -> None:
    envelope = wrapped(**wrapped().caused()).with_stream_version(1)
    names = [k for k, _ in envelope.headers()]
    assert len(names) == len(set(names))


# --- round trip ------------------------------------------------------------------------------


def test_round_trip_with_header_list() -> None:
    envelope = wrapped()
    assert EventEnvelope.from_kafka(envelope.headers(), envelope.body()) == envelope


def test_round_trip_with_causation_and_stream_version() -> None:
    envelope = wrapped(**wrapped().caused()).with_stream_version(12)
    back = EventEnvelope.from_kafka(envelope.headers(), envelope.body())
    assert back == envelope
    assert back.causation_id == envelope.causation_id
    assert back.stream_version == 12


def test_round_trip_with_header_dict_of_bytes() -> None:
    envelope = EventEnvelope.wrap(scanned(), subject="spot-1")
    assert EventEnvelope.from_kafka(dict(envelope.headers()), envelope.body()) == envelope


def test_round_trip_with_header_dict_of_str() -> None:
    # FastStream hands headers over as a dict, with values already decoded.
    envelope = wrapped(**wrapped().caused())
    back = EventEnvelope.from_kafka(headers_dict(envelope), envelope.body())
    assert back == envelope
    assert back.event() == cart_item_added()


def test_round_trip_keeps_the_time_exactly() -> None:
    time = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    envelope = EventEnvelope(
        type="CartItemAdded", source="/convive/ordering", subject="s", data={}, time=time
    )
    assert EventEnvelope.from_kafka(envelope.headers(), envelope.body()).time == time


# --- invalid records -------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUIRED_HEADERS)
def test_missing_required_header_is_named(name: str) -> None:
    headers, body = valid_record()
    del headers[name]
    with pytest.raises(EnvelopeError, match=f"missing header.*{name}"):
        EventEnvelope.from_kafka(headers, body)


@pytest.mark.parametrize("name", REQUIRED_HEADERS)
def test_empty_required_header_counts_as_missing(name: str) -> None:
    headers, body = valid_record()
    headers[name] = b""
    with pytest.raises(EnvelopeError, match=f"missing header.*{name}"):
        EventEnvelope.from_kafka(headers, body)


def test_all_missing_headers_are_named() -> None:
    with pytest.raises(EnvelopeError) as info:
        EventEnvelope.from_kafka([], b"{}")
    for name in REQUIRED_HEADERS:
        assert name in str(info.value)


def test_wrong_specversion() -> None:
    headers, body = valid_record()
    headers["ce_specversion"] = b"0.3"
    with pytest.raises(EnvelopeError, match=r"ce_specversion.*0\.3"):
        EventEnvelope.from_kafka(headers, body)


def test_body_none() -> None:
    headers, _ = valid_record()
    with pytest.raises(EnvelopeError, match="no body"):
        EventEnvelope.from_kafka(headers, None)


@pytest.mark.parametrize("body", [b"not json", b"{", b"\xff\xfe\x00", b""])
def test_body_not_json(body: bytes) -> None:
    headers, _ = valid_record()
    with pytest.raises(EnvelopeError, match="not JSON"):
        EventEnvelope.from_kafka(headers, body)


@pytest.mark.parametrize("body", [b"[1,2]", b"[]", b'"text"', b"42", b"null"])
def test_body_not_a_json_object(body: bytes) -> None:
    headers, _ = valid_record()
    with pytest.raises(EnvelopeError, match="JSON object"):
        EventEnvelope.from_kafka(headers, body)


@pytest.mark.parametrize("value", [b"one", b"1.5", b"v1"])
def test_non_integer_schema_version(value: bytes) -> None:
    headers, body = valid_record()
    headers["convive_schema_version"] = value
    with pytest.raises(EnvelopeError, match="bad header value"):
        EventEnvelope.from_kafka(headers, body)


def test_non_integer_stream_version() -> None:
    headers, body = valid_record()
    headers["convive_stream_version"] = b"x"
    with pytest.raises(EnvelopeError, match="bad header value"):
        EventEnvelope.from_kafka(headers, body)


@pytest.mark.parametrize("value", [b"yesterday", b"2026-13-01T00:00:00Z", b"12:00"])
def test_bad_time(value: bytes) -> None:
    headers, body = valid_record()
    headers["ce_time"] = value
    with pytest.raises(EnvelopeError, match="bad header value"):
        EventEnvelope.from_kafka(headers, body)


def test_header_not_utf8_is_named() -> None:
    headers, body = valid_record()
    headers["ce_subject"] = b"\xff\xfe"
    with pytest.raises(EnvelopeError, match=r"ce_subject.*UTF-8"):
        EventEnvelope.from_kafka(headers, body)


def test_envelope_error_is_a_value_error() -> None:
    assert issubclass(EnvelopeError, ValueError)
