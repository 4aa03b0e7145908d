"""What the venue's staff ask (through the gateway's back office and POS console): the venue's
settings, its profit centres and their journey modes, its spots with their QR codes (one image,
or the venue's printable sheet), a new QR token for a spot, and a new PIN for a session."""

from __future__ import annotations

import asyncio
import functools
import zoneinfo
from typing import Any

from litestar import Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import EmailStr, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.table_session import JourneyMode, PmsIntegration, SpotKind
from convive.runtime.domain import NotFound
from convive.runtime.eventstore import EventStore
from convive.table_session import queries
from convive.table_session.api import qr_codes
from convive.table_session.api.inputs import ID_PATTERN, Body, SessionId, SpotId, VenueId
from convive.table_session.commands import profit_centres, sessions, spots, venues
from convive.table_session.domain.venues import DEFAULT_TIME_ZONE, VenueSettings
from convive.table_session.settings import Settings


@functools.cache
def known_time_zones() -> frozenset[str]:
    """The IANA time zones this machine knows. "localtime" is left out: it names the server's
    own zone, not a place."""
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


class VenueSettingsBody(Body):
    name: str = Field(min_length=1, max_length=200, description="the venue's name for guests")
    language: str = Field(default="fr", pattern=r"^(fr|en)$", description="staff's language")
    notification_email: EmailStr | None = Field(
        default=None, description="where the property is told of concierge orders"
    )
    pms_integration: PmsIntegration = PmsIntegration.NONE
    time_zone: str = Field(
        default=DEFAULT_TIME_ZONE,
        max_length=64,
        description="the venue's IANA time zone (e.g. 'Europe/Paris'), in which staff and guests "
        "read times",
    )

    @field_validator("time_zone")
    @classmethod
    def _a_known_time_zone(cls, value: str) -> str:
        if value not in known_time_zones():
            raise ValueError(f"unknown time zone {value!r}: an IANA name such as 'Europe/Paris'")
        return value


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


# --- the venue's settings ----------------------------------------------------------------------


@put("/venues/{venue_id:str}/settings", summary="Set the venue's settings (the whole set)")
async def configure_venue(
    venue_id: VenueId,
    data: JSONBody[VenueSettingsBody],
    store: NamedDependency[EventStore],
    engine: NamedDependency[AsyncEngine],
) -> dict[str, Any]:
    """The whole set each time: a setting left out takes its default (the time zone
    Europe/Paris, the language French)."""
    wanted = VenueSettings(
        venue_id=venue_id,
        name=data.name,
        language=data.language,
        notification_email=str(data.notification_email) if data.notification_email else None,
        pms_integration=data.pms_integration,
        time_zone=data.time_zone,
    )
    outcome = await venues.configure_venue(store, wanted)
    return {**await queries.venue_settings(engine, venue_id), "event_ids": outcome.event_ids}


@get("/venues/{venue_id:str}/settings", summary="The venue's settings")
async def venue_settings(venue_id: VenueId, engine: NamedDependency[AsyncEngine]) -> dict[str, Any]:
    return await queries.venue_settings(engine, venue_id)


# --- profit centres ----------------------------------------------------------------------------


@get("/venues/{venue_id:str}/profit-centres", summary="The venue's profit centres and modes")
async def list_profit_centres(
    venue_id: VenueId, engine: NamedDependency[AsyncEngine]
) -> list[dict[str, Any]]:
    return await queries.venue_profit_centres(engine, venue_id)


@post("/venues/{venue_id:str}/profit-centres", summary="Set up or change a profit centre")
async def configure_profit_centre(
    venue_id: VenueId, data: JSONBody[ProfitCentreBody], store: NamedDependency[EventStore]
) -> Response[dict[str, Any]]:
    pc_id, outcome = await profit_centres.configure_profit_centre(
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


# --- spots and their QR codes ------------------------------------------------------------------


@post("/venues/{venue_id:str}/spots", summary="Add a table or room with its QR token")
async def create_spot(
    venue_id: VenueId,
    data: JSONBody[SpotBody],
    store: NamedDependency[EventStore],
    settings: NamedDependency[Settings],
) -> dict[str, Any]:
    spot, outcome = await spots.create_spot(
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


# No caching of the images: rotating the token must make the old code stop circulating.
NO_CACHE = {"cache-control": "no-cache"}


@get("/spots/{spot_id:str}/qr.png", summary="The spot's QR code as a PNG image")
async def spot_qr_png(
    spot_id: SpotId, engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]
) -> Response[bytes]:
    row = await queries.spot(engine, spot_id)
    image = qr_codes.png(settings.guest_url(row.token))
    return Response(image, media_type="image/png", headers=NO_CACHE)


@get("/spots/{spot_id:str}/qr.svg", summary="The spot's QR code as an SVG image")
async def spot_qr_svg(
    spot_id: SpotId, engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]
) -> Response[bytes]:
    row = await queries.spot(engine, spot_id)
    image = qr_codes.svg(settings.guest_url(row.token), title=row.name)
    return Response(image, media_type="image/svg+xml", headers=NO_CACHE)


@get("/venues/{venue_id:str}/qr-sheet.pdf", summary="The venue's QR codes, one printable PDF")
async def qr_sheet(
    venue_id: VenueId, engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]
) -> Response[bytes]:
    cards = [
        qr_codes.Card(row.name, settings.guest_url(row.token))
        for row in await queries.venue_spots(engine, venue_id)
        if row.token
    ]
    if not cards:
        raise NotFound(f"venue {venue_id!r} has no spots", field="venue_id")
    # Drawing a large venue's sheet takes a while: keep the event loop free meanwhile.
    pdf = await asyncio.to_thread(qr_codes.sheet, venue_id, cards)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="qr-codes-{venue_id}.pdf"',
            **NO_CACHE,
        },
    )


@post(
    "/spots/{spot_id:str}/token/rotate",
    summary="Give a spot a new QR token; the old QR code stops working",
    status_code=HTTP_200_OK,
)
async def rotate_token(
    spot_id: SpotId, store: NamedDependency[EventStore], settings: NamedDependency[Settings]
) -> dict[str, Any]:
    token, outcome = await spots.rotate_token(store, spot_id)
    return {
        "spot_id": spot_id,
        "token": token,
        "guest_url": settings.guest_url(token),
        "event_ids": outcome.event_ids,
    }


# --- sessions ----------------------------------------------------------------------------------


@post(
    "/sessions/{session_id:str}/pin/rotate",
    summary="Give an open session a new PIN (staff)",
    status_code=HTTP_200_OK,
)
async def rotate_pin(session_id: SessionId, store: NamedDependency[EventStore]) -> dict[str, Any]:
    pin, outcome = await sessions.rotate_pin(store, session_id, reason="staff")
    return {
        "session_id": session_id,
        "pin": pin,
        "reason": "staff",
        "event_ids": outcome.event_ids,
    }


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
    rotate_pin,
]
