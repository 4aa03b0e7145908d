"""Events owned by the pos-gateway service (topic `convive.pos-gateway.events`).

Streams: one per paired device (`device-<id>`), one per staff account (`staff-<id>`), one per
order as the POS sees it (`pos-<order_id>`: its validations, amendments, rejections and payments,
so that "before validation" is decided on one stream), and one per concierge order posted to a
PMS folio (`folio-<offer_order_id>`).

Secrets are never events: a device credential is carried only as its SHA-256, a staff password
and a pairing code not at all.
"""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from convive.contracts.base import Event, Money
from convive.contracts.ordering import OrderLine


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    ROOM_CHARGE = "room_charge"
    ONLINE = "online"


class DevicePaired(Event):
    """A POS device was paired to a venue; it authenticates with a credential whose SHA-256
    digest this carries (never the credential itself). Stream: the device."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    device_id: str
    name: str
    credential_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    paired_by: str | None = Field(
        default=None, description="the staff member who issued the pairing code"
    )


class DeviceRevoked(Event):
    """A paired device lost its credential: its calls are refused and its streams closed.
    Stream: the device."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    device_id: str
    revoked_by: str = Field(description="the staff member who revoked it")


class StaffRole(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CASHIER = "cashier"


class StaffAccountOpened(Event):
    """A staff account was opened or changed (role, venues); the password is never in it.
    Stream: the staff account."""

    service: ClassVar[str] = "pos-gateway"

    staff_id: str
    email: str
    name: str
    role: StaffRole
    venue_ids: list[str]
    opened_by: str | None = Field(default=None, description="the staff member who opened it")


class StaffAccountClosed(Event):
    """A staff account was closed: it can no longer log in. Stream: the staff account."""

    service: ClassVar[str] = "pos-gateway"

    staff_id: str
    closed_by: str


class OrderValidated(Event):
    """A POS user validated a guest order (or one round of it). Stream: the order at the POS."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    order_id: str
    round_number: int = Field(ge=1)
    device_id: str = Field(description="the POS device where it was validated")
    validated_by: str = Field(description="the staff member who validated")
    session_id: str | None = Field(default=None, description="the table session of the order")
    staff_id: str | None = Field(default=None, description="the logged-in staff account")


class OrderAmended(Event):
    """Before validation, staff changed a round (quantities, products, notes); `lines` is the
    round as it now stands. Stream: the order at the POS."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    order_id: str
    session_id: str
    round_number: int = Field(ge=1)
    lines: list[OrderLine]
    round_total: Money
    device_id: str
    amended_by: str
    staff_id: str | None = None
    note: str | None = Field(default=None, description="what staff told the guests, if anything")


class OrderRejected(Event):
    """Before validation, staff refused a round; it will not be made nor paid.
    Stream: the order at the POS."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    order_id: str
    session_id: str
    round_number: int = Field(ge=1)
    reason: str = Field(min_length=1, description="shown to the guests")
    device_id: str
    rejected_by: str
    staff_id: str | None = None


class PaymentSettled(Event):
    """A payment was recorded against an order. Stream: the order at the POS."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    order_id: str
    session_id: str
    amount: Money
    method: PaymentMethod
    payment_card_token: str | None = Field(
        default=None, description="provider token of the card, never a card number"
    )
    payment_id: str | None = Field(default=None, description="the online payment it settles")
    paid_by_guest: str | None = Field(
        default=None, description="the guest who paid from the phone (online, room charge)"
    )
    fully_paid: bool = Field(
        default=True, description="false for a part payment: the order stays open until paid"
    )
    balance_due: Money | None = Field(default=None, description="what is left to pay after it")
    line_ids: list[str] | None = Field(
        default=None, description="when the bill is split by items: the lines this pays for"
    )
    device_id: str | None = Field(default=None, description="the POS device that took it")
    received_by: str | None = Field(default=None, description="the staff member who took it")


class OnlinePaymentStarted(Event):
    """A guest started paying from the phone: the provider's hosted page awaits them.
    Stream: the order at the POS."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    order_id: str
    session_id: str
    payment_id: str
    amount: Money
    provider: str
    guest_id: str


class OnlinePaymentFailed(Event):
    """The provider reported that an online payment failed or was abandoned.
    Stream: the order at the POS."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    order_id: str
    session_id: str
    payment_id: str
    reason: str


# --- PMS folio posting -------------------------------------------------------------------


class FolioPostingMethod(StrEnum):
    AUTOMATIC = "automatic"  # two-way: posted through the PMS adapter
    MANUAL = "manual"  # one-way: staff posted it by hand and said so


class FolioPosted(Event):
    """A concierge order's charge is on the guest's folio in the PMS.
    Stream: `folio-<offer_order_id>`."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    offer_order_id: str
    amount: Money
    method: FolioPostingMethod
    pms_reference: str | None = Field(default=None, description="the PMS's id of the charge")
    posted_by: str | None = Field(default=None, description="the staff member, when by hand")
    attempts: int = Field(default=1, ge=1, description="tries it took (automatic)")


class FolioPostingFailed(Event):
    """A try to post a concierge order's charge to the PMS failed; `next_attempt_at` says when
    it is tried again (none: given up, staff must act). Stream: `folio-<offer_order_id>`."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    offer_order_id: str
    attempt: int = Field(ge=1)
    error: str
    next_attempt_at: datetime | None = None
