"""Events owned by the pos-gateway service (topic `convive.pos-gateway.events`).

Streams: one per paired device, and one per order as the POS sees it (`pos-<order_id>`).
"""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from convive.contracts.base import Event, Money


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


class OrderValidated(Event):
    """A POS user validated a guest order (or one round of it). Stream: the order at the POS."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    order_id: str
    round_number: int = Field(ge=1)
    device_id: str = Field(description="the POS device where it was validated")
    validated_by: str = Field(description="the staff member who validated")
    session_id: str | None = Field(default=None, description="the table session of the order")


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
