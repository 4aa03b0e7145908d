"""table-session's API as the gateway uses it: scans, sessions, venue settings, profit centres,
spots and their QR codes (and their rotation)."""

from __future__ import annotations

import time

import httpx
from pydantic import Field

from convive.gateway.upstream.http import Answer, Body, Route, ServiceClient, UpstreamError

DEFAULT_TIME_ZONE = "Europe/Paris"


# --- answers -----------------------------------------------------------------------------------


class Scanned(Answer):
    """What a scan told a phone: seated (host or guest, with the session) or a viewer (with the
    reason); the host also gets the session's PIN."""

    spot_id: str
    spot_name: str
    spot_kind: str
    venue_id: str
    mode: str
    role: str
    reason: str | None
    session_id: str | None
    guest_id: str | None
    pin: str | None = None


class SessionGuest(Answer):
    guest_id: str


class Session(Answer):
    session_id: str
    status: str
    pin: str | None
    guests: list[SessionGuest]

    @property
    def open(self) -> bool:
        return self.status == "open"


class VenueSettings(Answer):
    venue_id: str
    name: str
    language: str
    notification_email: str | None
    pms_integration: str
    time_zone: str = Field(default=DEFAULT_TIME_ZONE, description="IANA name")


class ProfitCentre(Answer):
    profit_centre_id: str
    name: str
    mode: str


class Spot(Answer):
    spot_id: str
    name: str
    kind: str
    profit_centre_id: str
    token: str | None
    guest_url: str | None
    status: str
    session_id: str | None


class RotatedToken(Answer):
    spot_id: str
    token: str
    guest_url: str


# --- request bodies ----------------------------------------------------------------------------


class Scan(Body):
    token: str
    device_id: str
    pin: str | None = None


class VenueSettingsIn(Body):
    name: str
    language: str
    notification_email: str | None
    pms_integration: str
    time_zone: str | None = None


class ProfitCentreIn(Body):
    name: str
    mode: str
    profit_centre_id: str | None = None


class SpotIn(Body):
    profit_centre_id: str
    name: str
    kind: str


# --- routes ------------------------------------------------------------------------------------

SCAN = Route[Scanned]("POST", "/scan", Scanned)
SESSION = Route[Session]("GET", "/sessions/{session_id}", Session)
SETTINGS = Route[VenueSettings]("GET", "/venues/{venue_id}/settings", VenueSettings)
SAVE_SETTINGS = Route[None]("PUT", "/venues/{venue_id}/settings")
PROFIT_CENTRES = Route[list[ProfitCentre]](
    "GET", "/venues/{venue_id}/profit-centres", list[ProfitCentre]
)
SAVE_PROFIT_CENTRE = Route[None]("POST", "/venues/{venue_id}/profit-centres")
SPOTS = Route[list[Spot]]("GET", "/venues/{venue_id}/spots", list[Spot])
ADD_SPOT = Route[None]("POST", "/venues/{venue_id}/spots")
ROTATE_TOKEN = Route[RotatedToken]("POST", "/spots/{spot_id}/token/rotate", RotatedToken)
QR_SHEET = Route[None]("GET", "/venues/{venue_id}/qr-sheet.pdf")
QR_CODE = Route[None]("GET", "/spots/{spot_id}/qr.svg")

ROUTES = [
    SCAN,
    SESSION,
    SETTINGS,
    SAVE_SETTINGS,
    PROFIT_CENTRES,
    SAVE_PROFIT_CENTRE,
    SPOTS,
    ADD_SPOT,
    ROTATE_TOKEN,
    QR_SHEET,
    QR_CODE,
]


TIME_ZONE_SECONDS = 60.0
"""How long a venue's time zone is remembered (pages that only show times ask it each time)."""


class TableSession(ServiceClient):
    service = "table-session"

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        super().__init__(client, base_url)
        self._time_zones: dict[str, tuple[float, str]] = {}

    # --- guests ---------------------------------------------------------------------------

    async def scan(self, token: str, device_id: str, pin: str | None = None) -> Scanned:
        body = Scan(token=token, device_id=device_id, **({"pin": pin} if pin is not None else {}))
        return await self.request(SCAN, body=body)

    async def session(self, session_id: str) -> Session:
        return await self.request(SESSION, session_id=session_id)

    # --- venues ---------------------------------------------------------------------------

    async def settings(self, venue_id: str) -> VenueSettings | None:
        """The venue's settings, or None before they were first saved."""
        return await self.read_or_none(SETTINGS, venue_id=venue_id)

    async def time_zone(self, venue_id: str) -> str:
        """The IANA name of the venue's time zone (Europe/Paris when it has none, or when
        table-session cannot say)."""
        now = time.monotonic()
        known = self._time_zones.get(venue_id)
        if known is None or now - known[0] > TIME_ZONE_SECONDS:
            try:
                found = time_zone_of(await self.settings(venue_id))
            except UpstreamError:
                return known[1] if known else DEFAULT_TIME_ZONE
            known = self._time_zones[venue_id] = (now, found)
        return known[1]

    async def save_settings(self, venue_id: str, body: VenueSettingsIn) -> None:
        await self.request(SAVE_SETTINGS, body=body, venue_id=venue_id)

    async def profit_centres(self, venue_id: str) -> list[ProfitCentre]:
        return await self.request(PROFIT_CENTRES, venue_id=venue_id)

    async def save_profit_centre(self, venue_id: str, body: ProfitCentreIn) -> None:
        await self.request(SAVE_PROFIT_CENTRE, body=body, venue_id=venue_id)

    async def spots(self, venue_id: str) -> list[Spot]:
        return await self.request(SPOTS, venue_id=venue_id)

    async def spot(self, venue_id: str, spot_id: str) -> Spot | None:
        """A spot as table-session lists it, or None if the venue has no such spot."""
        return next((s for s in await self.spots(venue_id) if s.spot_id == spot_id), None)

    async def add_spot(self, venue_id: str, body: SpotIn) -> None:
        await self.request(ADD_SPOT, body=body, venue_id=venue_id)

    async def rotate_token(self, spot_id: str) -> RotatedToken:
        """A new QR token for the spot: its old QR code stops working at once."""
        return await self.request(ROTATE_TOKEN, spot_id=spot_id)

    async def qr_sheet(self, venue_id: str) -> httpx.Response:
        return await self.file(QR_SHEET, venue_id=venue_id)

    async def qr_code(self, spot_id: str) -> httpx.Response:
        return await self.file(QR_CODE, spot_id=spot_id)


def time_zone_of(settings: VenueSettings | None) -> str:
    return settings.time_zone if settings is not None else DEFAULT_TIME_ZONE
