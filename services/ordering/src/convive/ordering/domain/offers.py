"""A hotel's concierge offers and upgrades: one stream per offer (`offer-<offer_id>`) whose every
`OfferPublished` carries the whole offer, so the current offer is the last one published. An
offer is never deleted: one no longer sold is published with `available` false."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OfferPublished, OfferType
from convive.runtime import domain
from convive.runtime.domain import Conflict, DomainError

Offer = OfferPublished
"""The state of an offer stream: the offer as guests now see it."""


def offer_stream(offer_id: str) -> str:
    return f"offer-{offer_id}"


def evolve(state: Offer | None, event: Event) -> Offer | None:
    return event if isinstance(event, OfferPublished) else state


def fold(history: Iterable[Event | EventEnvelope]) -> Offer | None:
    """The offer after these events of its stream (None when it was never published)."""
    return domain.fold(evolve, None, history)


@dataclass(frozen=True)
class PublishOffer:
    """Create the offer, or replace it whole."""

    venue_id: str
    offer_id: str
    name: LocalizedText
    offer_type: OfferType
    price: Money
    description: LocalizedText | None = None
    auto_confirm: bool = False
    available: bool = True


def decide(state: Offer | None, command: PublishOffer) -> list[Event]:
    """Publishing the offer as it already stands decides nothing (a PUT may be repeated)."""
    if state is not None and state.venue_id != command.venue_id:
        raise Conflict(
            f"offer id {command.offer_id!r} is already used by another venue", field="offer_id"
        )
    if command.price.amount_minor < 0:
        raise DomainError("an offer's price cannot be negative", field="price.amount_minor")
    published = OfferPublished(
        venue_id=command.venue_id,
        offer_id=command.offer_id,
        name=command.name,
        offer_type=command.offer_type,
        price=command.price,
        description=command.description,
        auto_confirm=command.auto_confirm,
        available=command.available,
    )
    if state is not None and state.model_dump() == published.model_dump():
        return []
    return [published]
