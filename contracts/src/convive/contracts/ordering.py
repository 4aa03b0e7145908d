"""Events owned by the ordering service (topic `convive.ordering.events`).

A venue's menu is one stream (`menu-<venue>`); each table session's shared cart and its order
(the rounds sent) are one stream, keyed by the session id, so a confirmation and the cart it
empties are decided together.
"""

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from convive.contracts.base import Event, LocalizedText, Money


class MenuCategory(BaseModel):
    model_config = ConfigDict(frozen=True)

    category_id: str
    name: LocalizedText
    position: int = 0


class OptionChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    choice_id: str
    name: LocalizedText
    price_delta: Money = Field(description="added to the product's price (may be zero)")


class OptionGroup(BaseModel):
    """A choice the guest makes for a product (cooking, side, size…)."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    name: LocalizedText
    min_choices: int = Field(default=0, ge=0)
    max_choices: int = Field(default=1, ge=1)
    choices: list[OptionChoice]


class ChosenOption(BaseModel):
    """An option the guest chose, as it was priced then."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    choice_id: str
    name: LocalizedText
    price_delta: Money


class MenuProduct(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str
    category_id: str
    name: LocalizedText
    description: LocalizedText | None = None
    price: Money
    available: bool = True
    allergens: list[str] = Field(default_factory=list, description="EU allergen codes")
    photo_url: str | None = None
    options: list[OptionGroup] = Field(default_factory=list)
    station: str | None = Field(
        default=None, description="production station that makes it, e.g. 'kitchen' or 'bar'"
    )


class MenuPublished(Event):
    """The venue's whole menu as guests now see it (it replaces the previous one).
    Stream: `menu-<venue_id>`."""

    service: ClassVar[str] = "ordering"

    venue_id: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    categories: list[MenuCategory]
    products: list[MenuProduct]


class CartItemAdded(Event):
    """A guest added a product to the session's shared cart. Stream: the session."""

    service: ClassVar[str] = "ordering"

    session_id: str
    venue_id: str
    line_id: str = Field(description="id of the new cart line")
    guest_id: str = Field(description="the guest who added it")
    product_id: str
    quantity: int = Field(gt=0)
    unit_price: Money
    product_name: LocalizedText | None = Field(default=None, description="name on the menu")
    note: str | None = Field(default=None, description="the guest's note for the kitchen")
    options: list[ChosenOption] = Field(
        default_factory=list, description="chosen options; unit_price includes their deltas"
    )


class CartItemChanged(Event):
    """A guest changed the quantity of a cart line. Stream: the session."""

    service: ClassVar[str] = "ordering"

    session_id: str
    venue_id: str
    line_id: str
    guest_id: str
    quantity: int = Field(gt=0)


class CartItemRemoved(Event):
    """A guest removed a line from the shared cart. Stream: the session."""

    service: ClassVar[str] = "ordering"

    session_id: str
    venue_id: str
    line_id: str
    guest_id: str


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    product_id: str
    name: LocalizedText
    quantity: int = Field(gt=0)
    unit_price: Money
    note: str | None = None
    guest_id: str = Field(description="who added it to the cart")
    options: list[ChosenOption] = Field(default_factory=list)


class OrderPlaced(Event):
    """A guest confirmed the cart: it became the session's order (its first round), and the
    cart is empty again. Stream: the session."""

    service: ClassVar[str] = "ordering"

    order_id: str
    session_id: str
    venue_id: str
    spot_id: str
    placed_by: str = Field(description="the guest who confirmed")
    round_number: int = Field(ge=1)
    lines: list[OrderLine]
    round_total: Money
    order_total: Money


class RoundAdded(Event):
    """A guest confirmed the cart again: a new round of the session's open order.
    Stream: the session."""

    service: ClassVar[str] = "ordering"

    order_id: str
    session_id: str
    venue_id: str
    spot_id: str
    placed_by: str
    round_number: int = Field(ge=2)
    lines: list[OrderLine]
    round_total: Money
    order_total: Money


class TicketLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    name: LocalizedText
    quantity: int = Field(gt=0)
    note: str | None = None
    options: list[ChosenOption] = Field(default_factory=list)


class ProductionTicket(BaseModel):
    """What one production station (kitchen, bar…) must make for a round."""

    model_config = ConfigDict(frozen=True)

    station: str
    lines: list[TicketLine]


class SentToProduction(Event):
    """A validated round went to production: one ticket per station. Stream: the session."""

    service: ClassVar[str] = "ordering"

    order_id: str
    session_id: str
    venue_id: str
    round_number: int = Field(ge=1)
    spot_name: str | None = Field(default=None, description="the table or room, for the ticket")
    tickets: list[ProductionTicket] = Field(
        default_factory=list, description="the round's lines (as amended) grouped by station"
    )


class OrderClosed(Event):
    """The order was paid in full; no more rounds. Stream: the session."""

    service: ClassVar[str] = "ordering"

    order_id: str
    session_id: str
    venue_id: str


# --- hotel concierge offers ----------------------------------------------------------------


class OfferType(StrEnum):
    OFFER = "offer"
    UPGRADE = "upgrade"


class OfferPublished(Event):
    """A concierge offer or upgrade was created or changed (the whole offer each time); an
    offer that is no longer sold is published with `available` false. Stream: `offer-<offer_id>`."""

    service: ClassVar[str] = "ordering"

    venue_id: str
    offer_id: str
    name: LocalizedText
    offer_type: OfferType
    price: Money
    description: LocalizedText | None = None
    auto_confirm: bool = False
    available: bool = True


class OfferOrdered(Event):
    """A guest ordered a concierge offer. Stream: `offer-order-<offer_order_id>`."""

    service: ClassVar[str] = "ordering"

    venue_id: str
    offer_order_id: str
    offer_id: str
    offer_name: LocalizedText
    offer_type: OfferType
    price: Money = Field(description="the revenue of the order")
    spot_id: str = Field(description="the room it was ordered from")
    spot_name: str = Field(description="e.g. 'Room 112', for staff and the PMS")
    session_id: str | None = None
    guest_id: str
    guest_name: str
    guest_email: str
    language: str = Field(default="fr", pattern=r"^(fr|en)$", description="the guest's language")
    note: str | None = Field(default=None, description="the guest's message to the concierge")
    auto_confirm: bool = Field(
        default=False, description="the offer confirms itself: an OfferConfirmed follows at once"
    )


class OfferConfirmed(Event):
    """The property confirmed an offer order (by staff, or at once by auto-confirm).
    Stream: the offer order."""

    service: ClassVar[str] = "ordering"

    venue_id: str
    offer_order_id: str
    automatic: bool = Field(description="confirmed by the offer's auto-confirm flag")
    confirmed_by: str | None = Field(default=None, description="the staff member, if any")


class OfferCancelled(Event):
    """The property cancelled an offer order (also after it was confirmed).
    Stream: the offer order."""

    service: ClassVar[str] = "ordering"

    venue_id: str
    offer_order_id: str
    cancelled_by: str
    reason: str | None = None
