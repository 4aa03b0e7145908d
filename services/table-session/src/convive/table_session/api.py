"""The table-session HTTP API: profit centres, spots and their QR codes (one image, or a venue's
printable sheet; token rotation), scans (with the PIN rules), sessions and their PINs.
Commands answer with what happened (the new state and the event ids); queries read the
read models, which are current when a command's answer returns."""

from __future__ import annotations

import asyncio
import io
from typing import Annotated, Any

import segno
from litestar import Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_403_FORBIDDEN
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.table_session import JourneyMode, PmsIntegration, SpotKind
from convive.runtime.domain import NotFound
from convive.runtime.eventstore import EventStore
from convive.table_session import commands, domain, queries, venues
from convive.table_session import qr_sheet as qr_sheet_pdf
from convive.table_session.settings import Settings

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"
VenueId = Annotated[str, PathParameter(pattern=ID_PATTERN, description="the venue's id")]
SpotId = Annotated[str, PathParameter(max_length=200)]
SessionId = Annotated[str, PathParameter(max_length=200)]


class Body(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)


class ProfitCentreBody(Body):
    profit_centre_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="omit to have one drawn"
    )
    name: str = Field(min_length=1, max_length=100, description="e.g. 'Terrace'")
    mode: JourneyMode


class SpotBody(Body):
    profit_centre_id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=100, description="as printed, e.g. 'Table 4'")
    kind: SpotKind


class ScanBody(Body):
    token: str = Field(min_length=1, max_length=200, description="from the guest URL /t/<token>")
    device_id: str = Field(min_length=1, max_length=200, description="the phone's pseudonymous id")
    pin: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="the session's PIN, needed to join once an order was confirmed",
    )


class VenueSettingsBody(Body):
    name: str = Field(min_length=1, max_length=200, description="the venue's name for guests")
    language: str = Field(default="fr", pattern=r"^(fr|en)$", description="staff's language")
    notification_email: EmailStr | None = Field(
        default=None, description="where the property is told of concierge orders"
    )
    pms_integration: PmsIntegration = PmsIntegration.NONE


@put("/venues/{venue_id:str}/settings", summary="Set the venue's settings (the whole set)")
async def configure_venue(
    venue_id: VenueId,
    data: JSONBody[VenueSettingsBody],
    store: NamedDependency[EventStore],
    engine: NamedDependency[AsyncEngine],
) -> dict[str, Any]:
    wanted = venues.VenueSettings(
        venue_id=venue_id,
        name=data.name,
        language=data.language,
        notification_email=str(data.notification_email) if data.notification_email else None,
        pms_integration=data.pms_integration,
    )
    outcome = await commands.configure_venue(store, wanted)
    return {**await queries.venue_settings(engine, venue_id), "event_ids": outcome.event_ids}


@get("/venues/{venue_id:str}/settings", summary="The venue's settings")
async def venue_settings(venue_id: VenueId, engine: NamedDependency[AsyncEngine]) -> dict[str, Any]:
    return await queries.venue_settings(engine, venue_id)


@get("/venues/{venue_id:str}/profit-centres", summary="The venue's profit centres and modes")
async def list_profit_centres(
    venue_id: VenueId, engine: NamedDependency[AsyncEngine]
) -> list[dict[str, Any]]:
    return await queries.venue_profit_centres(engine, venue_id)


@post("/venues/{venue_id:str}/profit-centres", summary="Set up or change a profit centre")
async def configure_profit_centre(
    venue_id: VenueId, data: JSONBody[ProfitCentreBody], store: NamedDependency[EventStore]
) -> Response[dict[str, Any]]:
    pc_id, outcome = await commands.configure_profit_centre(
        store, venue_id, data.profit_centre_id, data.name, data.mode
    )
    return Response(
        {
            "profit_centre_id": pc_id,
            "venue_id": venue_id,
            "name": data.name,
            "mode": data.mode.value,
            "event_ids": outcome.event_ids,
        },
        status_code=HTTP_200_OK if outcome.history else HTTP_201_CREATED,
    )


@post("/venues/{venue_id:str}/spots", summary="Add a table or room with its QR token")
async def create_spot(
    venue_id: VenueId,
    data: JSONBody[SpotBody],
    store: NamedDependency[EventStore],
    settings: NamedDependency[Settings],
) -> dict[str, Any]:
    spot, outcome = await commands.create_spot(
        store, venue_id, data.profit_centre_id, data.name, data.kind
    )
    return {
        "spot_id": spot.spot_id,
        "venue_id": spot.venue_id,
        "profit_centre_id": spot.profit_centre_id,
        "name": spot.name,
        "kind": spot.kind.value,
        "token": spot.token,
        "guest_url": settings.guest_url(spot.token),
        "status": "free",
        "event_ids": outcome.event_ids,
    }


@get("/venues/{venue_id:str}/spots", summary="The venue's spots, free or occupied")
async def list_spots(
    venue_id: VenueId, engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]
) -> list[dict[str, Any]]:
    return [
        {
            "spot_id": row.spot_id,
            "name": row.name,
            "kind": row.kind,
            "profit_centre_id": row.profit_centre_id,
            "token": row.token,
            "guest_url": settings.guest_url(row.token) if row.token else None,
            "status": row.status,
            "session_id": row.session_id,
        }
        for row in await queries.venue_spots(engine, venue_id)
    ]


def _qr(settings: Settings, token: str) -> segno.QRCode:
    return segno.make(settings.guest_url(token), error="m")


@get("/spots/{spot_id:str}/qr.png", summary="The spot's QR code as a PNG image")
async def spot_qr_png(
    spot_id: SpotId, engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]
) -> Response[bytes]:
    row = await queries.spot(engine, spot_id)
    out = io.BytesIO()
    _qr(settings, row.token).save(out, kind="png", scale=10, border=4)
    # No caching: rotating the token must make the old image stop circulating.
    return Response(out.getvalue(), media_type="image/png", headers={"cache-control": "no-cache"})


@get("/spots/{spot_id:str}/qr.svg", summary="The spot's QR code as an SVG image")
async def spot_qr_svg(
    spot_id: SpotId, engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]
) -> Response[bytes]:
    row = await queries.spot(engine, spot_id)
    out = io.BytesIO()
    _qr(settings, row.token).save(out, kind="svg", scale=10, border=4, title=row.name)
    return Response(
        out.getvalue(), media_type="image/svg+xml", headers={"cache-control": "no-cache"}
    )


WRONG_PIN = "wrong PIN"
LOCKED_OUT = "too many wrong PINs from this phone: ask the staff"


@post("/scan", summary="A phone scanned a spot's QR code: open, join, recall, or read the menu")
async def scan(data: JSONBody[ScanBody], store: NamedDependency[EventStore]) -> Response[Any]:
    """201 when the scan opened a session (role host, with its PIN); 200 when the phone is
    seated (role guest, or host on a recall) or may only read the menu (role viewer, with a
    `reason`); 403 on a wrong PIN (`tries_left`) or for a phone locked out of the session."""
    outcome = await commands.scan(store, data.token, data.device_id, data.pin)
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
        if guest.role == domain.HOST:
            body["pin"] = session.pin
        body["event_ids"] = outcome.event_ids
        opened = verdict.seat == domain.Seat.OPENED
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
    if verdict.seat == domain.Seat.WRONG_PIN:
        refusal = {"status": HTTP_403_FORBIDDEN, "error": WRONG_PIN, "field": "pin"}
        body["reason"] = "wrong_pin"
        return Response(refusal | body, status_code=HTTP_403_FORBIDDEN)
    if verdict.seat == domain.Seat.LOCKED_OUT:
        refusal = {"status": HTTP_403_FORBIDDEN, "error": LOCKED_OUT, "field": "pin"}
        return Response(refusal | body, status_code=HTTP_403_FORBIDDEN)
    return Response(body, status_code=HTTP_200_OK)


@post(
    "/spots/{spot_id:str}/token/rotate",
    summary="Give a spot a new QR token; the old QR code stops working",
    status_code=HTTP_200_OK,
)
async def rotate_token(
    spot_id: SpotId, store: NamedDependency[EventStore], settings: NamedDependency[Settings]
) -> dict[str, Any]:
    token, outcome = await commands.rotate_token(store, spot_id)
    return {
        "spot_id": spot_id,
        "token": token,
        "guest_url": settings.guest_url(token),
        "event_ids": outcome.event_ids,
    }


@post(
    "/sessions/{session_id:str}/pin/rotate",
    summary="Give an open session a new PIN (staff)",
    status_code=HTTP_200_OK,
)
async def rotate_pin(session_id: SessionId, store: NamedDependency[EventStore]) -> dict[str, Any]:
    pin, outcome = await commands.rotate_pin(store, session_id, reason="staff")
    return {
        "session_id": session_id,
        "pin": pin,
        "reason": "staff",
        "event_ids": outcome.event_ids,
    }


@get("/venues/{venue_id:str}/qr-sheet.pdf", summary="The venue's QR codes, one printable PDF")
async def qr_sheet(
    venue_id: VenueId, engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]
) -> Response[bytes]:
    cards = [
        qr_sheet_pdf.Card(row.name, settings.guest_url(row.token))
        for row in await queries.venue_spots(engine, venue_id)
        if row.token
    ]
    if not cards:
        raise NotFound(f"venue {venue_id!r} has no spots", field="venue_id")
    # Drawing a large venue's sheet takes a while: keep the event loop free meanwhile.
    pdf = await asyncio.to_thread(qr_sheet_pdf.render, venue_id, cards)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="qr-codes-{venue_id}.pdf"',
            "cache-control": "no-cache",
        },
    )


@get("/sessions/{session_id:str}", summary="A session: its spot, status, guests and PIN")
async def get_session(
    session_id: SessionId, engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    return await queries.session(engine, session_id)


ROUTES = [
    configure_venue,
    venue_settings,
    list_profit_centres,
    configure_profit_centre,
    create_spot,
    list_spots,
    spot_qr_png,
    spot_qr_svg,
    qr_sheet,
    rotate_token,
    scan,
    rotate_pin,
    get_session,
]
