"""POS devices as the domain sees them: a paired device belongs to one venue and acts only on
that venue's orders; its credential is known only by its SHA-256 digest. Pure: drawing a
credential is the pairing command's business."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from convive.runtime.domain import Forbidden


def device_stream(device_id: str) -> str:
    """The stream of a device's pairing and revocation."""
    return f"device-{device_id}"


def credential_digest(credential: str) -> str:
    """What is kept of a device credential (and what a presented one is looked up by)."""
    return hashlib.sha256(credential.encode()).hexdigest()


@dataclass(frozen=True)
class Device:
    """A paired, unrevoked device: who acts at the POS."""

    device_id: str
    venue_id: str
    name: str

    def require_venue(self, venue_id: str) -> None:
        if venue_id != self.venue_id:
            raise Forbidden(f"device {self.device_id} is paired to another venue than {venue_id}")
