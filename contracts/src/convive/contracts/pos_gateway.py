"""Events owned by the pos-gateway service (topic `convive.pos-gateway.events`)."""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from convive.contracts.base import Event, Money


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    ROOM_CHARGE = "room_charge"
    ONLINE = "online"


class OrderValidated(Event):
    """A POS user validated a guest order (or one round of it). Stream: the order at the POS."""

    service: ClassVar[str] = "pos-gateway"

    venue_id: str
    order_id: str
    round_number: int = Field(ge=1)
    device_id: str = Field(description="the POS device where it was validated")
    validated_by: str = Field(description="the staff member who validated")


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
