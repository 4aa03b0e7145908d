"""Events owned by the ordering service (topic `convive.ordering.events`)."""

from typing import ClassVar

from pydantic import Field

from convive.contracts.base import Event, Money


class CartItemAdded(Event):
    """A guest added a product to the session's shared cart. Stream: the cart (one per session)."""

    service: ClassVar[str] = "ordering"

    session_id: str
    venue_id: str
    line_id: str = Field(description="id of the new cart line")
    guest_id: str = Field(description="the guest who added it")
    product_id: str
    quantity: int = Field(gt=0)
    unit_price: Money
