"""The event every benchmark writes: a `TableScanned` with a fixed-size device id, so that both
event stores and the pipeline carry the same payload."""

from __future__ import annotations

import json

from convive.contracts import EventEnvelope
from convive.contracts.table_session import TableScanned

VENUE = "venue-bench"
# A phone's pseudonymous id, padded so that the event's JSON data is about 200 bytes.
DEVICE = "device-" + "d" * 121


def scanned(stream_id: str) -> EventEnvelope:
    """A TableScanned of spot `stream_id`, wrapped for the event store."""
    return EventEnvelope.wrap(
        TableScanned(venue_id=VENUE, spot_id=stream_id, device_id=DEVICE), subject=stream_id
    )


def data_bytes(stream_id: str) -> int:
    """Size of the event's JSON data (what both stores serialise, besides their metadata)."""
    return len(json.dumps(scanned(stream_id).data, separators=(",", ":")).encode())
