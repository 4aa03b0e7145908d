"""What the guests of a table session call (through the gateway's guest app), everything under
`/sessions/{session_id}`: the session as ordering knows it, the shared cart they fill and
confirm into the order's rounds (where the profit centre's journey mode offers ordering), the
order with each round as the POS amended or rejected it, and a room's orders of concierge
offers. Every command answers with the state it left and the ids of its events.

The venue's menu and offers that guests read are served with their publication, in `staff`
(one path, one controller)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from convive.contracts import Money
from convive.ordering import queries
from convive.ordering.api.bodies import AddItemIn, ChangeItemIn, ConfirmIn, OfferOrderIn
from convive.ordering.commands import offer_orders, table_order
from convive.ordering.commands.menu import load_menu
from convive.ordering.domain.table_order import (
    OptionPick,
    PosRounds,
    SessionFacts,
    TableOrder,
    order_total,
    rounds_as_they_stand,
)
from convive.ordering.projections import pos_gateway, table_session
from convive.ordering.settings import Settings
from convive.runtime.domain import NotFound
from convive.runtime.eventstore import EventStore

# --- views -----------------------------------------------------------------------------------


def _money(money: Money) -> dict[str, Any]:
    return money.model_dump(mode="json")


def _mode(session: SessionFacts | None) -> str | None:
    """The journey mode ordering applies to the session (`order` while the profit centre's mode
    is unknown); None for a session ordering does not know."""
    return session.effective_mode.value if session is not None else None


def session_view(session: SessionFacts) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "venue_id": session.venue_id,
        "spot_id": session.spot_id,
        "profit_centre_id": session.profit_centre_id,
        "mode": _mode(session),
        "status": "open" if session.open else "closed",
        "host_guest_id": session.host_guest_id,
        "guests": sorted(session.guests),
    }


def cart_view(
    session_id: str, state: TableOrder, currency: str, session: SessionFacts | None
) -> dict[str, Any]:
    currency = state.currency or currency
    return {
        "session_id": session_id,
        "mode": _mode(session),
        "lines": [
            {
                "line_id": line.line_id,
                "product_id": line.product_id,
                "name": line.name.model_dump(mode="json"),
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
                "line_total": _money(line.total),
                "guest_id": line.guest_id,
                "note": line.note,
                "options": [o.model_dump(mode="json") for o in line.options],
            }
            for line in state.cart
        ],
        "total": _money(state.cart_total(currency)),
    }


def cart_line_answer(
    session_id: str, line_id: str, outcome: table_order.Outcome, default_currency: str
) -> dict[str, Any]:
    """The answer to a command on a cart line: the line's id, the cart as it now stands and the
    events appended."""
    return {
        "line_id": line_id,
        "cart": cart_view(session_id, outcome.state, default_currency, outcome.session),
        "event_ids": outcome.event_ids,
    }


def order_view(
    session_id: str, state: TableOrder, session: SessionFacts | None, pos_rounds: PosRounds
) -> dict[str, Any]:
    """The order as the guests should see it: each round as the POS amended it, its status,
    the reason of a rejection, and a total that leaves rejected rounds out."""
    assert state.order_total is not None
    currency = state.currency or state.order_total.currency
    return {
        "order_id": state.order_id,
        "session_id": session_id,
        "mode": _mode(session),
        "status": "closed" if state.closed else "open",
        "rounds": [
            {
                "round_number": r.round_number,
                "placed_by": r.placed_by,
                "status": r.status.value,
                "lines": [line.model_dump(mode="json") for line in r.lines],
                "round_total": _money(r.round_total),
                "sent_to_production": r.sent_to_production,
                "amended": r.amended,
                "amendment_note": r.amendment_note,
                "rejected_reason": r.rejected_reason,
            }
            for r in rounds_as_they_stand(state, pos_rounds)
        ],
        "order_total": _money(order_total(state, pos_rounds, currency)),
    }


# --- handlers --------------------------------------------------------------------------------


class CartController(Controller):
    path = "/sessions/{session_id:str}"
    tags = ["cart and order"]

    @get("/", summary="The session as ordering knows it: spot, profit centre, mode, guests")
    async def show_session(
        self, session_id: FromPath[str], store: NamedDependency[EventStore]
    ) -> dict[str, Any]:
        session = await table_order.session_facts(store, session_id)
        if session is None:
            raise NotFound(f"session {session_id} not known yet", field="session_id")
        return session_view(session)

    @post("/cart/items", summary="Add a product to the session's shared cart")
    async def add_item(
        self,
        session_id: FromPath[str],
        data: JSONBody[AddItemIn],
        store: NamedDependency[EventStore],
        settings: NamedDependency[Settings],
    ) -> dict[str, Any]:
        line_id, outcome = await table_order.add_cart_item(
            store,
            session_id=session_id,
            guest_id=data.guest_id,
            product_id=data.product_id,
            quantity=data.quantity,
            note=data.note,
            options=[OptionPick(group_id=o.group_id, choice_id=o.choice_id) for o in data.options],
        )
        return cart_line_answer(session_id, line_id, outcome, settings.default_currency)

    @patch("/cart/items/{line_id:str}", summary="Change the quantity of a cart line")
    async def change_item(
        self,
        session_id: FromPath[str],
        line_id: FromPath[str],
        data: JSONBody[ChangeItemIn],
        store: NamedDependency[EventStore],
        settings: NamedDependency[Settings],
    ) -> dict[str, Any]:
        outcome = await table_order.change_cart_item(
            store,
            session_id=session_id,
            guest_id=data.guest_id,
            line_id=line_id,
            quantity=data.quantity,
        )
        return cart_line_answer(session_id, line_id, outcome, settings.default_currency)

    @delete("/cart/items/{line_id:str}", status_code=200, summary="Remove a cart line")
    async def remove_item(
        self,
        session_id: FromPath[str],
        line_id: FromPath[str],
        store: NamedDependency[EventStore],
        settings: NamedDependency[Settings],
        guest_id: Annotated[str, QueryParameter(min_length=1, max_length=200)],
    ) -> dict[str, Any]:
        outcome = await table_order.remove_cart_item(
            store, session_id=session_id, guest_id=guest_id, line_id=line_id
        )
        return cart_line_answer(session_id, line_id, outcome, settings.default_currency)

    @get("/cart", summary="The session's shared cart")
    async def show_cart(
        self,
        session_id: FromPath[str],
        store: NamedDependency[EventStore],
        settings: NamedDependency[Settings],
    ) -> dict[str, Any]:
        state = await table_order.load_table_order(store, session_id)
        session = await table_order.session_facts(store, session_id)
        currency = state.currency
        if currency is None:
            # Nothing in this session yet: is it one we know, and in what currency would it be?
            if session is None:
                raise NotFound(f"session {session_id} not known yet", field="session_id")
            menu = await load_menu(store, session.venue_id)
            currency = menu.currency if menu is not None else settings.default_currency
        return cart_view(session_id, state, currency, session)

    @post("/cart/confirm", summary="Confirm the cart: the order, or its next round")
    async def confirm(
        self,
        session_id: FromPath[str],
        data: JSONBody[ConfirmIn],
        store: NamedDependency[EventStore],
    ) -> dict[str, Any]:
        outcome = await table_order.confirm_cart(
            store, session_id=session_id, guest_id=data.guest_id
        )
        state = outcome.state
        last = state.rounds[-1]
        assert state.order_total is not None
        return {
            "order_id": state.order_id,
            "round_number": last.round_number,
            "round_total": _money(last.round_total),
            "order_total": _money(state.order_total),
            "event_ids": outcome.event_ids,
        }

    @get("/order", summary="The session's order: its rounds as the POS amended or rejected them")
    async def show_order(
        self, session_id: FromPath[str], store: NamedDependency[EventStore]
    ) -> dict[str, Any]:
        state = await table_order.load_table_order(store, session_id)
        if state.order_id is None:
            raise NotFound(f"session {session_id} has no order yet", field="session_id")
        async with store.engine.connect() as conn:
            session = await table_session.session_facts(conn, session_id)
            decided_by_pos = await pos_gateway.pos_rounds_of_session(
                conn, session_id, order_id=state.order_id
            )
        return order_view(session_id, state, session, decided_by_pos)


class OfferOrdersController(Controller):
    path = "/sessions/{session_id:str}/offer-orders"
    tags = ["concierge offers"]

    @post("/", summary="A seated guest of a room orders one of the venue's offers")
    async def order(
        self,
        session_id: FromPath[str],
        data: JSONBody[OfferOrderIn],
        store: NamedDependency[EventStore],
    ) -> dict[str, Any]:
        outcome = await offer_orders.order_offer(
            store,
            session_id=session_id,
            guest_id=data.guest_id,
            offer_id=data.offer_id,
            guest_name=data.guest_name,
            guest_email=str(data.guest_email),
            language=data.language,
            note=data.note,
        )
        return outcome.answer()

    @get("/", summary="One guest's offer orders in this session, newest first")
    async def list_for_guest(
        self,
        session_id: FromPath[str],
        store: NamedDependency[EventStore],
        guest_id: Annotated[str, QueryParameter(min_length=1, max_length=200)],
    ) -> list[dict[str, Any]]:
        async with store.engine.connect() as conn:
            return await queries.guest_offer_orders(conn, session_id, guest_id)


ROUTE_HANDLERS = [CartController, OfferOrdersController]
