"""The request bodies of the ordering service's API, checked by pydantic (unknown fields are
refused, so a typo is an error rather than silently ignored)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from convive.contracts import Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OfferType, OptionChoice, OptionGroup
from convive.ordering.domain.table_order import MAX_LINE_QUANTITY

Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
GuestId = Annotated[str, Field(min_length=1, max_length=200)]
Quantity = Annotated[int, Field(strict=True, gt=0, le=MAX_LINE_QUANTITY)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Station = Annotated[
    str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_ .-]*$")
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- request bodies --------------------------------------------------------------------------


class TextIn(Body):
    fr: str = Field(min_length=1, max_length=2000)
    en: str = Field(min_length=1, max_length=2000)

    def text(self) -> LocalizedText:
        return LocalizedText(fr=self.fr, en=self.en)


class MoneyIn(Body):
    amount_minor: int = Field(strict=True, ge=0, le=100_000_000)
    currency: Currency

    def money(self) -> Money:
        return Money(amount_minor=self.amount_minor, currency=self.currency)


class DeltaIn(Body):
    """A price delta: may be negative (a smaller size), never below the product's price."""

    amount_minor: int = Field(strict=True, ge=-100_000_000, le=100_000_000)
    currency: Currency

    def money(self) -> Money:
        return Money(amount_minor=self.amount_minor, currency=self.currency)


class ChoiceIn(Body):
    choice_id: Id
    name: TextIn
    price_delta: DeltaIn

    def choice(self) -> OptionChoice:
        return OptionChoice(
            choice_id=self.choice_id, name=self.name.text(), price_delta=self.price_delta.money()
        )


class OptionGroupIn(Body):
    group_id: Id
    name: TextIn
    min_choices: int = Field(default=0, strict=True, ge=0, le=50)
    max_choices: int = Field(default=1, strict=True, ge=1, le=50)
    choices: list[ChoiceIn] = Field(max_length=50)

    def group(self) -> OptionGroup:
        return OptionGroup(
            group_id=self.group_id,
            name=self.name.text(),
            min_choices=self.min_choices,
            max_choices=self.max_choices,
            choices=[c.choice() for c in self.choices],
        )


class CategoryIn(Body):
    category_id: Id
    name: TextIn
    position: int = Field(default=0, ge=0, le=10_000)


class ProductIn(Body):
    product_id: Id
    category_id: Id
    name: TextIn
    description: TextIn | None = None
    price: MoneyIn
    available: bool = True
    allergens: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=14
    )
    photo_url: str | None = Field(default=None, max_length=2000)
    options: list[OptionGroupIn] = Field(default_factory=list, max_length=20)
    station: Station | None = None
    """The production station that makes it; none means the kitchen."""


class MenuIn(Body):
    currency: Currency
    categories: list[CategoryIn] = Field(max_length=200)
    products: list[ProductIn] = Field(max_length=2000)


class OptionPickIn(Body):
    group_id: Annotated[str, Field(min_length=1, max_length=100)]
    choice_id: Annotated[str, Field(min_length=1, max_length=100)]


class AddItemIn(Body):
    guest_id: GuestId
    product_id: Id
    quantity: Quantity
    note: str | None = Field(default=None, max_length=500)
    options: list[OptionPickIn] = Field(default_factory=list, max_length=100)


class ChangeItemIn(Body):
    guest_id: GuestId
    quantity: Quantity


class ConfirmIn(Body):
    guest_id: GuestId


# --- concierge offers ------------------------------------------------------------------------

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
StaffName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OfferIn(Body):
    name: TextIn
    offer_type: OfferType
    price: MoneyIn
    description: TextIn | None = None
    auto_confirm: bool = False
    available: bool = True


class OfferOrderIn(Body):
    guest_id: GuestId
    offer_id: Id
    guest_name: PersonName
    guest_email: EmailStr
    language: Literal["fr", "en"]
    note: str | None = Field(default=None, max_length=1000)


class ConfirmOfferOrderIn(Body):
    staff: StaffName


class CancelOfferOrderIn(Body):
    staff: StaffName
    reason: str | None = Field(default=None, max_length=500)
