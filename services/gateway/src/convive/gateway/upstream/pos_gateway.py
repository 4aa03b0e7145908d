"""pos-gateway's API as the gateway uses it: staff accounts and their sign-in, POS devices and
their pairing, the device's orders and what a cashier does to them, payments from the phone,
and the folio postings to the PMS.

Staff calls name the member in `X-Convive-Staff`; a device's calls carry its credential as the
bearer (401: the device was revoked)."""

from __future__ import annotations

from typing import Any

from convive.gateway.upstream.http import ServiceClient, segment


def as_staff(staff_id: str) -> dict[str, str]:
    return {"X-Convive-Staff": staff_id}


def as_device(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


class PosGateway(ServiceClient):
    # --- staff ----------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> Any:
        return await self.send("POST", "/staff/login", json={"email": email, "password": password})

    async def me(self, staff_id: str) -> Any:
        return await self.read("/staff/me", headers=as_staff(staff_id))

    async def accounts(self, staff_id: str) -> Any:
        return await self.read("/staff", headers=as_staff(staff_id)) or []

    async def open_account(self, staff_id: str, body: dict[str, Any]) -> Any:
        return await self.send("POST", "/staff", json=body, headers=as_staff(staff_id))

    async def close_account(self, staff_id: str, closed_id: str) -> Any:
        return await self.send("DELETE", f"/staff/{segment(closed_id)}", headers=as_staff(staff_id))

    # --- devices --------------------------------------------------------------------------

    async def pairing_code(self, staff_id: str, venue_id: str) -> Any:
        path = f"/venues/{segment(venue_id)}/pairing-codes"
        return await self.send("POST", path, headers=as_staff(staff_id))

    async def devices(self, staff_id: str, venue_id: str) -> Any:
        return (
            await self.read(f"/venues/{segment(venue_id)}/devices", headers=as_staff(staff_id))
            or []
        )

    async def revoke_device(self, staff_id: str, device_id: str) -> Any:
        path = f"/devices/{segment(device_id)}/revoke"
        return await self.send("POST", path, headers=as_staff(staff_id))

    async def pair(self, code: str, name: str) -> Any:
        return await self.send("POST", "/devices/pair", json={"code": code, "name": name})

    # --- the device's orders --------------------------------------------------------------

    async def orders(self, credential: str, venue_id: str, *, limit: int | None = None) -> Any:
        params = {"status": "all"}
        if limit is not None:
            params["limit"] = str(limit)
        path = f"/venues/{segment(venue_id)}/orders"
        return await self.read(path, params=params, headers=as_device(credential)) or []

    async def order(self, credential: str, order_id: str) -> Any:
        return await self.read(f"/orders/{segment(order_id)}", headers=as_device(credential))

    async def decide_round(
        self, credential: str, order_id: str, round_number: int, verb: str, body: dict[str, Any]
    ) -> Any:
        """`verb`: validate, amend or reject."""
        path = f"/orders/{segment(order_id)}/rounds/{round_number}/{verb}"
        return await self.send("POST", path, json=body, headers=as_device(credential))

    async def record_payment(self, credential: str, order_id: str, body: dict[str, Any]) -> Any:
        path = f"/orders/{segment(order_id)}/payments"
        return await self.send("POST", path, json=body, headers=as_device(credential))

    async def split(self, credential: str, order_id: str, parts: int) -> Any:
        path = f"/orders/{segment(order_id)}/split"
        return await self.read(path, params={"parts": str(parts)}, headers=as_device(credential))

    # --- payments from the phone ----------------------------------------------------------

    async def online_payment(self, order_id: str, guest_id: str, return_url: str) -> Any:
        body = {"guest_id": guest_id, "return_url": return_url}
        return await self.send_when_known(
            "POST", f"/orders/{segment(order_id)}/online-payments", body
        )

    async def room_charge(self, order_id: str, guest_id: str) -> Any:
        path = f"/orders/{segment(order_id)}/room-charge"
        return await self.send_when_known("POST", path, {"guest_id": guest_id})

    # --- folio postings -------------------------------------------------------------------

    async def folio_postings(self, staff_id: str, venue_id: str) -> Any:
        path = f"/venues/{segment(venue_id)}/folio-postings"
        return await self.read(path, headers=as_staff(staff_id)) or []

    async def act_on_posting(
        self, staff_id: str, offer_order_id: str, verb: str, body: dict[str, Any]
    ) -> Any:
        """`verb`: mark-posted (posted by hand) or retry."""
        path = f"/folio-postings/{segment(offer_order_id)}/{verb}"
        return await self.send("POST", path, json=body, headers=as_staff(staff_id))
