"""How a stream request is read: where the client resumes (`Last-Event-ID`) and a POS device's
credential (`Authorization: Bearer`), whose SHA-256 is what pos-gateway's DevicePaired carries."""

from __future__ import annotations

import hashlib

from convive.runtime.domain import Invalid, Unauthenticated


def resume_position(header: str | None, query: str | None) -> int:
    """The last feed sequence number the client has: the `Last-Event-ID` header (what
    EventSource sends when it reconnects) wins over the `last_event_id` query parameter
    (for clients that cannot set headers); 0 when neither is given."""
    raw, field = (header, "Last-Event-ID") if header not in (None, "") else (query, "last_event_id")
    if raw in (None, ""):
        return 0
    text = raw.strip()
    if not text.isdigit() or len(text) > 18:
        raise Invalid(
            f"{field} must be a feed sequence number (a non-negative integer), not {raw!r}",
            field=field,
        )
    return int(text)


def bearer_credential(authorization: str | None) -> str:
    """The credential of an `Authorization: Bearer <credential>` header."""
    scheme, _, credential = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthenticated(
            "a device credential is required: Authorization: Bearer <credential>",
            field="Authorization",
        )
    return credential.strip()


def credential_digest(credential: str) -> str:
    """The SHA-256 hex digest DevicePaired carries for a credential (of its UTF-8 bytes)."""
    return hashlib.sha256(credential.encode()).hexdigest()
