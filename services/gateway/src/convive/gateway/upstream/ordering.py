"""ordering's API as the gateway uses it: the menu, the shared cart and the order, production
tickets, concierge offers and their orders."""

from __future__ import annotations

from typing import Any

from convive.gateway.upstream.http import ServiceClient, segment


class Ordering(ServiceClient):
    # --- the menu -------------------------------------------------------------------------

    async def menu(self, venue_id: str) -> Any:
        return await self.read_or_none(f"/venues/{segment(venue_id)}/menu")

    async def publish_menu(self, venue_id: str, body: dict[str, Any]) -> Any:
        return await self.send("PUT", f"/venues/{segment(venue_id)}/menu", json=body)

    # --- the cart and the order -----------------------------------------------------------

    async def cart(self, session_id: str) -> Any:
        """The shared cart; None while ordering has not learnt of the session."""
        return await self.read_or_none(f"/sessions/{segment(session_id)}/cart")

    async def order(self, session_id: str) -> Any:
        return await self.read_or_none(f"/sessions/{segment(session_id)}/order")

    async def add_item(
        self,
        session_id: str,
        guest_id: str,
        product_id: str,
        quantity: int,
        options: list[dict[str, str]],
        note: str | None,
    ) -> Any:
        body: dict[str, Any] = {
            "guest_id": guest_id,
            "product_id": product_id,
            "quantity": quantity,
        }
        # Only sent when chosen, so an ordering without options still takes the others.
        if options:
            body["options"] = options
        if note:
            body["note"] = note
        return await self.send_when_known(
            "POST", f"/sessions/{segment(session_id)}/cart/items", body
        )

    async def change_item(self, session_id: str, guest_id: str, line_id: str, qty: int) -> Any:
        path = f"/sessions/{segment(session_id)}/cart/items/{segment(line_id)}"
        return await self.send("PATCH", path, json={"guest_id": guest_id, "quantity": qty})

    async def remove_item(self, session_id: str, guest_id: str, line_id: str) -> Any:
        path = f"/sessions/{segment(session_id)}/cart/items/{segment(line_id)}"
        return await self.send("DELETE", path, params={"guest_id": guest_id})

    async def confirm(self, session_id: str, guest_id: str) -> Any:
        path = f"/sessions/{segment(session_id)}/cart/confirm"
        return await self.send_when_known("POST", path, {"guest_id": guest_id})

    async def tickets(self, venue_id: str, station: str | None = None) -> Any:
        params = {"station": station} if station else None
        return await self.read(f"/venues/{segment(venue_id)}/tickets", params=params) or []

    # --- concierge offers -----------------------------------------------------------------

    async def offers(self, venue_id: str, *, available_only: bool = False) -> Any:
        params = {"available": "true"} if available_only else None
        return await self.read(f"/venues/{segment(venue_id)}/offers", params=params) or []

    async def save_offer(self, venue_id: str, offer_id: str, body: dict[str, Any]) -> Any:
        path = f"/venues/{segment(venue_id)}/offers/{segment(offer_id)}"
        return await self.send("PUT", path, json=body)

    async def guest_offer_orders(self, session_id: str, guest_id: str) -> Any:
        path = f"/sessions/{segment(session_id)}/offer-orders"
        return await self.read(path, params={"guest_id": guest_id}) or []

    async def order_offer(self, session_id: str, body: dict[str, Any]) -> Any:
        # Ordering learns of the seat from table-session's events: a moment behind a scan.
        return await self.send_when_known(
            "POST", f"/sessions/{segment(session_id)}/offer-orders", body
        )

    async def offer_orders(self, venue_id: str, params: dict[str, str] | None = None) -> Any:
        return await self.read(f"/venues/{segment(venue_id)}/offer-orders", params=params) or []

    async def decide_offer_order(self, offer_order_id: str, verb: str, body: dict[str, Any]) -> Any:
        """`verb`: confirm or cancel."""
        return await self.send("POST", f"/offer-orders/{segment(offer_order_id)}/{verb}", json=body)
