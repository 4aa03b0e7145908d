"""A guest's order of a concierge offer: one stream per order (`offer-order-<id>`). A seated
guest of a session at a room orders an offer of the venue that is on sale; the property then
confirms it (or the offer confirms itself at once) and may cancel it, even once confirmed.

The session, its spot and the offer come from elsewhere (projections, the offer's stream): the
caller reads them and hands them over in the command.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from convive.contracts import Event, EventEnvelope
from convive.contracts.ordering import OfferCancelled, OfferConfirmed, OfferOrdered
from convive.contracts.table_session import SpotKind
from convive.ordering.domain.facts import SessionFacts, SpotFacts, seated_guest
from convive.ordering.domain.offers import Offer
from convive.runtime import domain
from convive.runtime.domain import Conflict, DomainError, NotFound


def offer_order_stream(offer_order_id: str) -> str:
    return f"offer-order-{offer_order_id}"


class OfferOrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OfferOrder:
    """The state of an offer order's stream."""

    offer_order_id: str
    venue_id: str
    status: OfferOrderStatus = OfferOrderStatus.PENDING
    automatic: bool = False
    """Confirmed by the offer's auto-confirm flag rather than by staff."""


def evolve(state: OfferOrder | None, event: Event) -> OfferOrder | None:
    match event:
        case OfferOrdered():
            return OfferOrder(offer_order_id=event.offer_order_id, venue_id=event.venue_id)
        case OfferConfirmed() if state is not None:
            return replace(state, status=OfferOrderStatus.CONFIRMED, automatic=event.automatic)
        case OfferCancelled() if state is not None:
            return replace(state, status=OfferOrderStatus.CANCELLED)
    return state


def fold(history: Iterable[Event | EventEnvelope]) -> OfferOrder | None:
    """The offer order after these events of its stream (None before it was ordered)."""
    return domain.fold(evolve, None, history)


# --- commands --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderOffer:
    offer_order_id: str
    """Minted by the caller, so that deciding stays pure."""
    session_id: str
    session: SessionFacts | None
    spot: SpotFacts | None
    """The session's spot as ordering knows it; None while it has not learnt it."""
    guest_id: str
    offer_id: str
    offer: Offer | None
    """The offer as last published; None when there is no such offer."""
    guest_name: str
    guest_email: str
    language: str
    note: str | None = None


@dataclass(frozen=True)
class ConfirmOfferOrder:
    offer_order_id: str
    staff: str


@dataclass(frozen=True)
class CancelOfferOrder:
    offer_order_id: str
    staff: str
    reason: str | None = None


Command = OrderOffer | ConfirmOfferOrder | CancelOfferOrder


def decide(state: OfferOrder | None, command: Command) -> list[Event]:
    match command:
        case OrderOffer():
            return _order(state, command)
        case ConfirmOfferOrder():
            return _confirm(_existing(state, command.offer_order_id), command)
        case CancelOfferOrder():
            return _cancel(_existing(state, command.offer_order_id), command)
    raise TypeError(f"unknown command {command!r}")


def _existing(state: OfferOrder | None, offer_order_id: str) -> OfferOrder:
    if state is None:
        raise NotFound(f"no offer order {offer_order_id}", field="offer_order_id")
    return state


def _room_of_seated_guest(command: OrderOffer) -> tuple[SessionFacts, SpotFacts]:
    """The session and its room, if this guest may order from it now; otherwise the refusal."""
    session = seated_guest(command.session, command.session_id, command.guest_id)
    spot = command.spot
    if spot is None:
        raise NotFound(
            f"the spot of session {command.session_id} is not known yet: try again in a moment",
            field="session_id",
        )
    if spot.kind is not SpotKind.ROOM:
        raise Conflict(
            f"concierge offers are ordered from a room; {spot.name} is a {spot.kind.value}",
            field="session_id",
        )
    return session, spot


def _order(state: OfferOrder | None, command: OrderOffer) -> list[Event]:
    if state is not None:
        raise Conflict(f"offer order {command.offer_order_id} exists already")
    session, spot = _room_of_seated_guest(command)
    offer = command.offer
    if offer is None or offer.venue_id != session.venue_id:
        raise DomainError(
            f"offer {command.offer_id} is not offered at venue {session.venue_id}",
            field="offer_id",
        )
    if not offer.available:
        raise Conflict(f"{offer.name.en} is no longer offered", field="offer_id")
    ordered = OfferOrdered(
        venue_id=session.venue_id,
        offer_order_id=command.offer_order_id,
        offer_id=offer.offer_id,
        offer_name=offer.name,
        offer_type=offer.offer_type,
        price=offer.price,
        spot_id=spot.spot_id,
        spot_name=spot.name,
        session_id=session.session_id,
        guest_id=command.guest_id,
        guest_name=command.guest_name,
        guest_email=command.guest_email,
        language=command.language,
        note=command.note,
        auto_confirm=offer.auto_confirm,
    )
    if not offer.auto_confirm:
        return [ordered]
    # One append: the guest's e-mail says "received and confirmed", never "received" alone.
    confirmed = OfferConfirmed(
        venue_id=session.venue_id, offer_order_id=command.offer_order_id, automatic=True
    )
    return [ordered, confirmed]


def _confirm(state: OfferOrder, command: ConfirmOfferOrder) -> list[Event]:
    if state.status is not OfferOrderStatus.PENDING:
        raise Conflict(
            f"offer order {state.offer_order_id} is {state.status.value}: only a pending order "
            "can be confirmed",
            field="offer_order_id",
        )
    return [
        OfferConfirmed(
            venue_id=state.venue_id,
            offer_order_id=state.offer_order_id,
            automatic=False,
            confirmed_by=command.staff,
        )
    ]


def _cancel(state: OfferOrder, command: CancelOfferOrder) -> list[Event]:
    if state.status is OfferOrderStatus.CANCELLED:
        raise Conflict(
            f"offer order {state.offer_order_id} is cancelled already", field="offer_order_id"
        )
    return [
        OfferCancelled(
            venue_id=state.venue_id,
            offer_order_id=state.offer_order_id,
            cancelled_by=command.staff,
            reason=command.reason,
        )
    ]
