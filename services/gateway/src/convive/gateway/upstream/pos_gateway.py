"""pos-gateway's API as the gateway uses it: staff accounts and their sign-in, POS devices and
their pairing, the device's orders and what a cashier does to them, payments from the phone,
and the folio postings to the PMS.

Staff calls name the member in `X-Convive-Staff`; a device's calls carry its credential as the
bearer (401: the device was revoked)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import model_validator

from convive.contracts.base import LocalizedText, Money
from convive.contracts.ordering import ChosenOption
from convive.gateway.upstream.http import Answer, Body, Route, ServiceClient


def as_staff(staff_id: str) -> dict[str, str]:
    return {"X-Convive-Staff": staff_id}


def as_device(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


# --- answers -----------------------------------------------------------------------------------


class StaffAccount(Answer):
    staff_id: str
    email: str
    name: str
    role: str
    venue_ids: list[str]


class PairingCode(Answer):
    code: str
    expires_at: datetime


class PairedDevice(Answer):
    """A device paired with a code: its credential is in this answer only."""

    device_id: str
    venue_id: str
    name: str
    credential: str


class Device(Answer):
    device_id: str
    name: str
    paired_at: datetime
    revoked: bool


class PosLine(Answer):
    line_id: str
    product_id: str
    name: LocalizedText
    quantity: int
    unit_price: Money
    line_total: Money
    note: str | None = None
    options: list[ChosenOption] = []
    paid: bool = False


class PosRound(Answer):
    round_number: int
    status: str  # pending | validated | rejected
    lines: list[PosLine]
    round_total: Money
    validated_by: str | None = None
    rejected_reason: str | None = None
    amended: bool = False

    @model_validator(mode="before")
    @classmethod
    def _status_of_older_answers(cls, data: Any) -> Any:
        """A pos-gateway from before amendments (still answering during a rolling deploy)
        says `validated` instead of a round's status."""
        if isinstance(data, dict) and "status" not in data:
            validated = data.get("validated") or data.get("validated_by")
            rejected = data.get("rejected_reason")
            status = "rejected" if rejected else "validated" if validated else "pending"
            data = {**data, "status": status}
        return data


class PosPayment(Answer):
    amount: Money
    method: str
    line_ids: list[str] | None = None
    fully_paid: bool
    received_by: str | None = None
    settled_at: datetime


class PosOrder(Answer):
    """An order as the POS sees it: rounds as they stand, payments, what is due, its status."""

    order_id: str
    session_id: str
    spot_id: str
    spot_name: str | None = None
    placed_at: datetime
    rounds: list[PosRound]
    total: Money
    paid: Money
    due: Money
    payments: list[PosPayment] = []
    status: str  # pending | validated | paid | rejected

    @model_validator(mode="before")
    @classmethod
    def _figures_of_older_answers(cls, data: Any) -> Any:
        """A pos-gateway from before amendments (still answering during a rolling deploy)
        names the total `order_total` and may leave out what was paid and is due."""
        if isinstance(data, dict) and "total" not in data and "order_total" in data:
            total = data["order_total"]
            paid = data.get("paid") or {"amount_minor": 0, "currency": total["currency"]}
            due = data.get("due") or {
                "amount_minor": total["amount_minor"] - paid["amount_minor"],
                "currency": total["currency"],
            }
            data = {**data, "total": total, "paid": paid, "due": due}
        return data


class PaymentRecorded(Answer):
    fully_paid: bool


class Split(Answer):
    """What is due in equal shares (the remainder cents on the first ones)."""

    parts: int
    shares: list[Money]


class OnlinePayment(Answer):
    payment_id: str
    redirect_url: str


class RoomCharged(Answer):
    order_id: str
    status: str


class FolioPosting(Answer):
    """How a confirmed concierge order's posting to the PMS goes."""

    offer_order_id: str
    status: str  # not_required | to_post_by_hand | pending | posted | failing
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    pms_reference: str | None
    method: str | None  # automatic | manual


# --- request bodies ----------------------------------------------------------------------------


class Login(Body):
    email: str
    password: str


class NewAccount(Body):
    email: str
    name: str
    role: str
    venue_ids: list[str]
    password: str


class Pair(Body):
    code: str
    name: str


class StaffOnDevice(Body):
    """Who does it, on the device: the signed-in member's name and id."""

    staff: str
    staff_id: str


class AmendedLine(Body):
    """A line as the round should now have it (an existing `line_id`), or a product added."""

    line_id: str | None = None
    product_id: str | None = None
    quantity: int
    note: str | None = None


class Amendment(StaffOnDevice):
    lines: list[AmendedLine]
    note: str | None = None


class Rejection(StaffOnDevice):
    reason: str


class PaymentIn(StaffOnDevice):
    amount: Money
    method: str
    line_ids: list[str] | None = None
    payment_card_token: str | None = None


class GuestPayment(Body):
    guest_id: str
    return_url: str | None = None


class StaffAction(Body):
    staff: str


# --- routes ------------------------------------------------------------------------------------

LOGIN = Route[StaffAccount]("POST", "/staff/login", StaffAccount)
ME = Route[StaffAccount]("GET", "/staff/me", StaffAccount)
ACCOUNTS = Route[list[StaffAccount]]("GET", "/staff", list[StaffAccount])
OPEN_ACCOUNT = Route[None]("POST", "/staff")
CLOSE_ACCOUNT = Route[None]("DELETE", "/staff/{staff_id}")
PAIRING_CODE = Route[PairingCode]("POST", "/venues/{venue_id}/pairing-codes", PairingCode)
DEVICES = Route[list[Device]]("GET", "/venues/{venue_id}/devices", list[Device])
REVOKE_DEVICE = Route[None]("POST", "/devices/{device_id}/revoke")
PAIR = Route[PairedDevice]("POST", "/devices/pair", PairedDevice)
ORDERS = Route[list[PosOrder]]("GET", "/venues/{venue_id}/orders", list[PosOrder])
ORDER = Route[PosOrder]("GET", "/orders/{order_id}", PosOrder)
VALIDATE = Route[None]("POST", "/orders/{order_id}/rounds/{round_number}/validate")
AMEND = Route[None]("POST", "/orders/{order_id}/rounds/{round_number}/amend")
REJECT = Route[None]("POST", "/orders/{order_id}/rounds/{round_number}/reject")
PAYMENT = Route[PaymentRecorded]("POST", "/orders/{order_id}/payments", PaymentRecorded)
SPLIT = Route[Split]("GET", "/orders/{order_id}/split", Split)
ONLINE_PAYMENT = Route[OnlinePayment]("POST", "/orders/{order_id}/online-payments", OnlinePayment)
ROOM_CHARGE = Route[RoomCharged]("POST", "/orders/{order_id}/room-charge", RoomCharged)
FOLIO_POSTINGS = Route[list[FolioPosting]](
    "GET", "/venues/{venue_id}/folio-postings", list[FolioPosting]
)
MARK_POSTED = Route[None]("POST", "/folio-postings/{offer_order_id}/mark-posted")
RETRY_POSTING = Route[None]("POST", "/folio-postings/{offer_order_id}/retry")

ROUTES = [
    LOGIN,
    ME,
    ACCOUNTS,
    OPEN_ACCOUNT,
    CLOSE_ACCOUNT,
    PAIRING_CODE,
    DEVICES,
    REVOKE_DEVICE,
    PAIR,
    ORDERS,
    ORDER,
    VALIDATE,
    AMEND,
    REJECT,
    PAYMENT,
    SPLIT,
    ONLINE_PAYMENT,
    ROOM_CHARGE,
    FOLIO_POSTINGS,
    MARK_POSTED,
    RETRY_POSTING,
]
POSTING_ACTIONS = {"mark-posted": MARK_POSTED, "retry": RETRY_POSTING}


class PosGateway(ServiceClient):
    service = "pos-gateway"

    # --- staff ----------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> StaffAccount:
        return await self.request(LOGIN, body=Login(email=email, password=password))

    async def me(self, staff_id: str) -> StaffAccount:
        return await self.request(ME, headers=as_staff(staff_id))

    async def accounts(self, staff_id: str) -> list[StaffAccount]:
        return await self.request(ACCOUNTS, headers=as_staff(staff_id))

    async def open_account(self, staff_id: str, account: NewAccount) -> None:
        await self.request(OPEN_ACCOUNT, body=account, headers=as_staff(staff_id))

    async def close_account(self, staff_id: str, closed_id: str) -> None:
        await self.request(CLOSE_ACCOUNT, headers=as_staff(staff_id), staff_id=closed_id)

    # --- devices --------------------------------------------------------------------------

    async def pairing_code(self, staff_id: str, venue_id: str) -> PairingCode:
        return await self.request(PAIRING_CODE, headers=as_staff(staff_id), venue_id=venue_id)

    async def devices(self, staff_id: str, venue_id: str) -> list[Device]:
        return await self.request(DEVICES, headers=as_staff(staff_id), venue_id=venue_id)

    async def revoke_device(self, staff_id: str, device_id: str) -> None:
        await self.request(REVOKE_DEVICE, headers=as_staff(staff_id), device_id=device_id)

    async def pair(self, code: str, name: str) -> PairedDevice:
        return await self.request(PAIR, body=Pair(code=code, name=name))

    # --- the device's orders --------------------------------------------------------------

    async def orders(
        self, credential: str, venue_id: str, *, limit: int | None = None
    ) -> list[PosOrder]:
        query = {"status": "all", **({"limit": str(limit)} if limit is not None else {})}
        return await self.request(
            ORDERS, query=query, headers=as_device(credential), venue_id=venue_id
        )

    async def order(self, credential: str, order_id: str) -> PosOrder:
        return await self.request(ORDER, headers=as_device(credential), order_id=order_id)

    async def decide_round(
        self, credential: str, order_id: str, round_number: int, decision: StaffOnDevice
    ) -> None:
        """Validate (a `StaffOnDevice`), amend (an `Amendment`) or reject (a `Rejection`)."""
        route = VALIDATE
        if isinstance(decision, Amendment):
            route = AMEND
        elif isinstance(decision, Rejection):
            route = REJECT
        await self.request(
            route,
            body=decision,
            headers=as_device(credential),
            order_id=order_id,
            round_number=round_number,
        )

    async def record_payment(
        self, credential: str, order_id: str, payment: PaymentIn
    ) -> PaymentRecorded:
        return await self.request(
            PAYMENT, body=payment, headers=as_device(credential), order_id=order_id
        )

    async def split(self, credential: str, order_id: str, parts: int) -> Split:
        query = {"parts": str(parts)}
        return await self.request(
            SPLIT, query=query, headers=as_device(credential), order_id=order_id
        )

    # --- payments from the phone ----------------------------------------------------------

    async def online_payment(self, order_id: str, guest_id: str, return_url: str) -> OnlinePayment:
        body = GuestPayment(guest_id=guest_id, return_url=return_url)
        return await self.request_when_known(ONLINE_PAYMENT, body=body, order_id=order_id)

    async def room_charge(self, order_id: str, guest_id: str) -> RoomCharged:
        body = GuestPayment(guest_id=guest_id)
        return await self.request_when_known(ROOM_CHARGE, body=body, order_id=order_id)

    # --- folio postings -------------------------------------------------------------------

    async def folio_postings(self, staff_id: str, venue_id: str) -> list[FolioPosting]:
        return await self.request(FOLIO_POSTINGS, headers=as_staff(staff_id), venue_id=venue_id)

    async def act_on_posting(
        self, staff_id: str, offer_order_id: str, verb: str, action: StaffAction
    ) -> None:
        """`verb`: mark-posted (posted by hand) or retry."""
        await self.request(
            POSTING_ACTIONS[verb],
            body=action,
            headers=as_staff(staff_id),
            offer_order_id=offer_order_id,
        )
