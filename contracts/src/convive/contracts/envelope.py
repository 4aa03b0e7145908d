"""The envelope every event travels in: CloudEvents 1.0 attributes carried as Kafka headers
(binary content mode) around a JSON body, plus Convive's extensions for schema version,
correlation and causation, and the position of the event in its stream."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from convive.contracts.base import Event, registry

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

H_SPECVERSION = "ce_specversion"
H_ID = "ce_id"
H_TYPE = "ce_type"
H_SOURCE = "ce_source"
H_SUBJECT = "ce_subject"
H_TIME = "ce_time"
H_CONTENT_TYPE = "content-type"
H_SCHEMA_VERSION = "convive_schema_version"
H_STREAM_VERSION = "convive_stream_version"
H_CORRELATION_ID = "correlation_id"
H_CAUSATION_ID = "causation_id"

REQUIRED_HEADERS = (
    H_SPECVERSION,
    H_ID,
    H_TYPE,
    H_SOURCE,
    H_SUBJECT,
    H_TIME,
    H_SCHEMA_VERSION,
    H_CORRELATION_ID,
)


class EnvelopeError(ValueError):
    """A Kafka record is not a valid Convive event (missing header, bad JSON, bad value)."""


def source_of(service: str) -> str:
    """The CloudEvents `source` of a service's events."""
    return f"/convive/{service}"


def new_event_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class EventEnvelope:
    """One event with its metadata, as stored in an event store and as sent to Kafka.

    `subject` is the stream id (the aggregate the event belongs to) and the Kafka key.
    """

    type: str
    source: str
    subject: str
    data: dict[str, Any]
    schema_version: int = 1
    id: str = field(default_factory=new_event_id)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str = ""
    causation_id: str | None = None
    stream_version: int | None = None

    def __post_init__(self) -> None:
        if not self.correlation_id:
            # The first event of a chain correlates with itself.
            object.__setattr__(self, "correlation_id", self.id)

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        subject: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        event_id: str | None = None,
    ) -> EventEnvelope:
        """Put a contract event into an envelope, ready to append."""
        eid = event_id or new_event_id()
        return cls(
            id=eid,
            type=event.event_type,
            source=source_of(event.service),
            subject=subject,
            data=event.model_dump(mode="json"),
            schema_version=event.schema_version,
            correlation_id=correlation_id or eid,
            causation_id=causation_id,
        )

    def caused(self) -> dict[str, str]:
        """Keyword arguments for an event caused by this one: same correlation, causation = us."""
        return {"correlation_id": self.correlation_id, "causation_id": self.id}

    def event(self) -> Event:
        """The contract event, upcast to the version this code knows."""
        return registry.load(self.type, self.schema_version, self.data)

    def with_stream_version(self, version: int) -> EventEnvelope:
        return replace(self, stream_version=version)

    # --- Kafka binary content mode -------------------------------------------------------

    def body(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":"), ensure_ascii=False).encode()

    def headers(self) -> list[tuple[str, bytes]]:
        pairs = [
            (H_SPECVERSION, SPECVERSION),
            (H_ID, self.id),
            (H_TYPE, self.type),
            (H_SOURCE, self.source),
            (H_SUBJECT, self.subject),
            (H_TIME, self.time.isoformat().replace("+00:00", "Z")),
            (H_CONTENT_TYPE, CONTENT_TYPE),
            (H_SCHEMA_VERSION, str(self.schema_version)),
            (H_CORRELATION_ID, self.correlation_id),
        ]
        if self.causation_id:
            pairs.append((H_CAUSATION_ID, self.causation_id))
        if self.stream_version is not None:
            pairs.append((H_STREAM_VERSION, str(self.stream_version)))
        return [(k, v.encode()) for k, v in pairs]

    def key(self) -> bytes:
        return self.subject.encode()

    @classmethod
    def from_kafka(
        cls,
        headers: Iterable[tuple[str, bytes]] | Mapping[str, Any],
        value: bytes | None,
    ) -> EventEnvelope:
        """Read a record back; raises EnvelopeError naming what is wrong."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        h: dict[str, str] = {}
        for k, v in items:
            try:
                h[k] = v.decode() if isinstance(v, bytes | bytearray) else str(v)
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {k} is not UTF-8") from exc
        missing = [name for name in REQUIRED_HEADERS if not h.get(name)]
        if missing:
            raise EnvelopeError(f"missing header(s): {', '.join(missing)}")
        if h[H_SPECVERSION] != SPECVERSION:
            raise EnvelopeError(f"unsupported ce_specversion {h[H_SPECVERSION]!r}")
        if value is None:
            raise EnvelopeError("record has no body")
        try:
            data = json.loads(value)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EnvelopeError(f"body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise EnvelopeError("body must be a JSON object")
        try:
            schema_version = int(h[H_SCHEMA_VERSION])
            stream_version = int(h[H_STREAM_VERSION]) if h.get(H_STREAM_VERSION) else None
            time = datetime.fromisoformat(h[H_TIME].replace("Z", "+00:00"))
        except ValueError as exc:
            raise EnvelopeError(f"bad header value: {exc}") from exc
        if time.tzinfo is None:
            raise EnvelopeError("ce_time must carry a time zone (RFC 3339)")
        return cls(
            id=h[H_ID],
            type=h[H_TYPE],
            source=h[H_SOURCE],
            subject=h[H_SUBJECT],
            time=time,
            data=data,
            schema_version=schema_version,
            correlation_id=h[H_CORRELATION_ID],
            causation_id=h.get(H_CAUSATION_ID) or None,
            stream_version=stream_version,
        )
