"""The table-session HTTP API: profit centres, spots and their QR codes, scans, sessions.
Commands answer with what happened (the new state and the event ids); queries read the
read models, which are current when a command's answer returns."""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.table_session import JourneyMode, SpotKind
from convive.runtime.eventstore import EventStore
from convive.table_session import commands, domain, queries
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


@post("/scan", summary="A phone scanned a spot's QR code: open, join or recall its session")
async def scan(data: JSONBody[ScanBody], store: NamedDependency[EventStore]) -> Response[Any]:
    outcome = await commands.scan(store, data.token, data.device_id)
    spot, guest, session = outcome.spot, outcome.guest, outcome.session
    body: dict[str, Any] = {
        "session_id": session.session_id,
        "guest_id": guest.guest_id,
        "role": guest.role,
        "spot_id": spot.spot_id,
        "spot_name": spot.name,
        "venue_id": spot.venue_id,
        "profit_centre_id": spot.profit_centre_id,
        "mode": outcome.mode.value,
        "event_ids": outcome.event_ids,
    }
    if guest.role == domain.HOST:
        body["pin"] = session.pin
    return Response(body, status_code=HTTP_201_CREATED if outcome.opened else HTTP_200_OK)


@get("/sessions/{session_id:str}", summary="A session: its spot, status, guests and PIN")
async def get_session(
    session_id: SessionId, engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    return await queries.session(engine, session_id)


ROUTES = [
    configure_profit_centre,
    create_spot,
    list_spots,
    spot_qr_png,
    spot_qr_svg,
    scan,
    get_session,
]
