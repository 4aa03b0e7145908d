"""table-session's API as the gateway uses it: scans, sessions, venue settings, profit centres,
spots and their QR codes."""

from __future__ import annotations

from typing import Any

import httpx

from convive.gateway.upstream.http import ServiceClient, UpstreamError, segment


class TableSession(ServiceClient):
    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        super().__init__(client, base_url)
        self._spot_kinds: dict[str, str] = {}

    # --- guests ---------------------------------------------------------------------------

    async def scan(self, token: str, device_id: str, pin: str | None = None) -> Any:
        body: dict[str, Any] = {"token": token, "device_id": device_id}
        if pin is not None:
            body["pin"] = pin
        return await self.send("POST", "/scan", json=body)

    async def session(self, session_id: str) -> Any:
        return await self.read(f"/sessions/{segment(session_id)}")

    # --- venues ---------------------------------------------------------------------------

    async def settings(self, venue_id: str) -> Any:
        """The venue's settings, or None before they were first saved."""
        return await self.read_or_none(f"/venues/{segment(venue_id)}/settings")

    async def save_settings(self, venue_id: str, body: dict[str, Any]) -> Any:
        return await self.send("PUT", f"/venues/{segment(venue_id)}/settings", json=body)

    async def profit_centres(self, venue_id: str) -> Any:
        return await self.read(f"/venues/{segment(venue_id)}/profit-centres") or []

    async def save_profit_centre(self, venue_id: str, body: dict[str, Any]) -> Any:
        return await self.send("POST", f"/venues/{segment(venue_id)}/profit-centres", json=body)

    async def spots(self, venue_id: str) -> Any:
        return await self.read(f"/venues/{segment(venue_id)}/spots") or []

    async def spot(self, venue_id: str, spot_id: str) -> Any:
        """A spot as table-session lists it (name, kind, status), or None if unknown."""
        return next(
            (s for s in await self.spots(venue_id) if str(s.get("spot_id")) == spot_id), None
        )

    async def spot_kind(self, venue_id: str, spot_id: str) -> str:
        """A spot's kind (table or room); it never changes, so it is remembered."""
        if spot_id not in self._spot_kinds:
            for spot in await self.spots(venue_id):
                self._spot_kinds[str(spot.get("spot_id"))] = str(spot.get("kind") or "table")
        return self._spot_kinds.get(spot_id, "table")

    async def add_spot(self, venue_id: str, body: dict[str, Any]) -> Any:
        return await self.send("POST", f"/venues/{segment(venue_id)}/spots", json=body)

    async def qr_sheet(self, venue_id: str) -> httpx.Response:
        return await self.file(f"/venues/{segment(venue_id)}/qr-sheet.pdf")

    async def qr_code(self, spot_id: str) -> httpx.Response:
        return await self.file(f"/spots/{segment(spot_id)}/qr.svg")


__all__ = ["TableSession", "UpstreamError"]
