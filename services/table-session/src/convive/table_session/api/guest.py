"""What a guest's phone asks (through the gateway's guest app): a scan of a spot's QR code,
which opens a session, seats the phone, recognises it, or lets it read the menu only; and the
session it is seated at, with its guests and PIN (the POS console reads that view too, to tell
staff a table's PIN)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_403_FORBIDDEN
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.runtime.eventstore import EventStore
from convive.table_session import queries
from convive.table_session.api.inputs import Body, SessionId
from convive.table_session.commands import scans
from convive.table_session.domain.scans import Seat
from convive.table_session.domain.spots import HOST

WRONG_PIN = "wrong PIN"
LOCKED_OUT = "too many wrong PINs from this phone: ask the staff"


class ScanBody(Body):
    token: str = Field(min_length=1, max_length=200, description="from the guest URL /t/<token>")
    device_id: str = Field(min_length=1, max_length=200, description="the phone's pseudonymous id")
    pin: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="the session's PIN, needed to join once an order was confirmed",
    )


@post("/scan", summary="A phone scanned a spot's QR code: open, join, recall, or read the menu")
async def scan(data: JSONBody[ScanBody], store: NamedDependency[EventStore]) -> Response[Any]:
    """201 when the scan opened a session (role host, with its PIN); 200 when the phone is
    seated (role guest, or host on a recall) or may only read the menu (role viewer, with a
    `reason`); 403 on a wrong PIN (`tries_left`) or for a phone locked out of the session."""
    outcome = await scans.scan(store, data.token, data.device_id, data.pin)
    spot, verdict = outcome.spot, outcome.verdict
    body: dict[str, Any] = {
        "spot_id": spot.spot_id,
        "spot_name": spot.name,
        "spot_kind": spot.kind.value,
        "venue_id": spot.venue_id,
        "profit_centre_id": spot.profit_centre_id,
        "mode": outcome.mode.value,
    }
    guest, session = outcome.guest, outcome.session
    if guest is not None and session is not None:
        body |= {
            "role": guest.role,
            "seated": True,
            "reason": None,
            "session_id": session.session_id,
            "guest_id": guest.guest_id,
        }
        if guest.role == HOST:
            body["pin"] = session.pin
        body["event_ids"] = outcome.event_ids
        opened = verdict.seat == Seat.OPENED
        return Response(body, status_code=HTTP_201_CREATED if opened else HTTP_200_OK)
    body |= {
        "role": "viewer",
        "seated": False,
        "reason": verdict.reason.value if verdict.reason else None,
        "session_id": None,
        "guest_id": None,
    }
    if verdict.tries_left is not None:
        body["tries_left"] = verdict.tries_left
    body["event_ids"] = outcome.event_ids
    if verdict.seat == Seat.WRONG_PIN:
        refusal = {"status": HTTP_403_FORBIDDEN, "error": WRONG_PIN, "field": "pin"}
        body["reason"] = "wrong_pin"
        return Response(refusal | body, status_code=HTTP_403_FORBIDDEN)
    if verdict.seat == Seat.LOCKED_OUT:
        refusal = {"status": HTTP_403_FORBIDDEN, "error": LOCKED_OUT, "field": "pin"}
        return Response(refusal | body, status_code=HTTP_403_FORBIDDEN)
    return Response(body, status_code=HTTP_200_OK)


@get("/sessions/{session_id:str}", summary="A session: its spot, status, guests and PIN")
async def get_session(
    session_id: SessionId, engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    return await queries.session(engine, session_id)


ROUTES = [scan, get_session]
