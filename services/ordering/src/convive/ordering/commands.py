"""Command handlers of the ordering service's menus and table orders: read what a decision needs
(the stream, the sessions projection, the venue's current menu, the POS's amendments and
rejections), decide with the pure domain, append to the event store and write ordering's own
read models in the same transaction. (Concierge offers are in `offer_commands`.)"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import MenuCategory, MenuProduct
from convive.ordering import own_views, projections
from convive.ordering.domain import menu, table_order
from convive.ordering.domain.table_order import (
    AddCartItem,
    ChangeCartItem,
    CloseOrder,
    ConfirmCart,
    OptionPick,
    PosRounds,
    RemoveCartItem,
    SendToProduction,
    TableOrder,
)
from convive.runtime.eventstore import (
    AppendResult,
    EventStore,
    decide_and_append,
)


@dataclass(frozen=True)
class Outcome:
    """The session stream's state after a command, the events the command appended, and the
    session as ordering knew it when deciding (for guests' commands)."""

    state: TableOrder
    event_ids: tuple[str, ...]
    session: table_order.SessionFacts | None = None


def new_line_id() -> str:
    return uuid.uuid4().hex


def new_order_id() -> str:
    return f"ord_{uuid.uuid4().hex}"


# --- menu ------------------------------------------------------------------------------------


async def load_menu(
    store: EventStore, venue_id: str, *, conn: AsyncConnection | None = None
) -> menu.Menu | None:
    """The venue's current menu: the last event of its stream, which carries the whole menu."""
    stream = menu.menu_stream(venue_id)
    version = await store.stream_version(stream, conn=conn)
    if version == 0:
        return None
    return menu.replay(await store.read_stream(stream, from_version=version, conn=conn))


async def publish_menu(
    store: EventStore,
    *,
    venue_id: str,
    currency: str,
    categories: Sequence[MenuCategory],
    products: Sequence[MenuProduct],
) -> AppendResult:
    stream = menu.menu_stream(venue_id)
    command = menu.PublishMenu(
        venue_id=venue_id, currency=currency, categories=categories, products=products
    )

    def decide(history: list[EventEnvelope]) -> list[EventEnvelope]:
        current = menu.replay(history[-1:])
        return [EventEnvelope.wrap(e, subject=stream) for e in menu.decide(current, command)]

    result = await decide_and_append(store, stream, decide)
    assert result is not None, "publishing a menu always appends"
    return result


# --- the session's cart and order ------------------------------------------------------------


async def load_table_order(store: EventStore, session_id: str) -> TableOrder:
    return table_order.replay(await store.read_stream(session_id))


async def pos_rounds(store: EventStore, session_id: str, order_id: str | None) -> PosRounds:
    """The POS's amendments and rejections of the order's rounds."""
    async with store.engine.connect() as conn:
        return await projections.pos_rounds_of_session(conn, session_id, order_id=order_id)


async def session_facts(store: EventStore, session_id: str) -> table_order.SessionFacts | None:
    async with store.engine.connect() as conn:
        return await projections.session_facts(conn, session_id)


async def _decide_on_session(
    store: EventStore,
    session_id: str,
    command: table_order.Command,
    *,
    conn: AsyncConnection | None = None,
    cause: EventEnvelope | None = None,
    then: Callable[[AsyncConnection, TableOrder], Awaitable[None]] | None = None,
) -> Outcome:
    """Decide the command on the session's stream and append, writing ordering's own read models
    in the append's transaction; a lost race is decided again on fresh state. `then(conn,
    state)` gets the state after the append, in its transaction."""
    caused = cause.caused() if cause is not None else {}
    after: list[EventEnvelope] = []

    def decide(history: list[EventEnvelope]) -> list[EventEnvelope]:
        state = table_order.replay(history)
        new = [
            EventEnvelope.wrap(e, subject=session_id, **caused)
            for e in table_order.decide(state, command)
        ]
        # Keep what was decided on, so the answer reflects exactly this append.
        after[:] = [*history, *new]
        return new

    async def after_append(
        tx: AsyncConnection, new_events: Sequence[EventEnvelope], result: AppendResult
    ) -> None:
        first = result.version - len(new_events) + 1
        await own_views.project(
            tx, [e.with_stream_version(first + i) for i, e in enumerate(new_events)]
        )
        if then is not None:
            await then(tx, table_order.replay(after))

    result = await decide_and_append(store, session_id, decide, conn=conn, then=after_append)
    return Outcome(
        state=table_order.replay(after),
        event_ids=result.event_ids if result is not None else (),
        session=getattr(command, "session", None),
    )


async def add_cart_item(
    store: EventStore,
    *,
    session_id: str,
    guest_id: str,
    product_id: str,
    quantity: int,
    note: str | None = None,
    options: Sequence[OptionPick] = (),
) -> tuple[str, Outcome]:
    """Returns the new line's id and the outcome."""
    async with store.engine.connect() as conn:
        session = await projections.session_facts(conn, session_id)
        current_menu = (
            await load_menu(store, session.venue_id, conn=conn) if session is not None else None
        )
    line_id = new_line_id()
    command = AddCartItem(
        session_id=session_id,
        session=session,
        guest_id=guest_id,
        product_id=product_id,
        product=menu.find_product(current_menu, product_id),
        quantity=quantity,
        line_id=line_id,
        note=note,
        options=tuple(options),
    )
    return line_id, await _decide_on_session(store, session_id, command)


async def change_cart_item(
    store: EventStore, *, session_id: str, guest_id: str, line_id: str, quantity: int
) -> Outcome:
    command = ChangeCartItem(
        session_id=session_id,
        session=await session_facts(store, session_id),
        guest_id=guest_id,
        line_id=line_id,
        quantity=quantity,
    )
    return await _decide_on_session(store, session_id, command)


async def remove_cart_item(
    store: EventStore, *, session_id: str, guest_id: str, line_id: str
) -> Outcome:
    command = RemoveCartItem(
        session_id=session_id,
        session=await session_facts(store, session_id),
        guest_id=guest_id,
        line_id=line_id,
    )
    return await _decide_on_session(store, session_id, command)


async def confirm_cart(store: EventStore, *, session_id: str, guest_id: str) -> Outcome:
    """Turn the cart into the order's next round. The order's session is recorded in the same
    transaction, so that a POS event naming only the order always finds it."""
    async with store.engine.connect() as conn:
        session = await projections.session_facts(conn, session_id)
        decided_by_pos = await projections.pos_rounds_of_session(conn, session_id)
    command = ConfirmCart(
        session_id=session_id,
        session=session,
        guest_id=guest_id,
        new_order_id=new_order_id(),
        pos_rounds=decided_by_pos,
    )

    async def record_order(conn: AsyncConnection, state: TableOrder) -> None:
        assert state.order_id is not None
        assert state.venue_id is not None
        await projections.order_placed(
            conn, order_id=state.order_id, session_id=session_id, venue_id=state.venue_id
        )

    return await _decide_on_session(store, session_id, command, then=record_order)


# --- commands issued by other services' events (inside the consumer's transaction) -----------


async def send_to_production(
    conn: AsyncConnection,
    *,
    session_id: str,
    venue_id: str,
    order_id: str,
    round_number: int,
    cause: EventEnvelope,
) -> Outcome:
    """The round as the POS amended it goes to production, one ticket per station of the
    venue's current menu, with the name of the table or room when ordering knows it."""
    decided_by_pos = await projections.pos_rounds_of_session(conn, session_id, order_id=order_id)
    current_menu = await load_menu(EventStore(conn.engine), venue_id, conn=conn)
    session = await projections.session_facts(conn, session_id)
    command = SendToProduction(
        session_id=session_id,
        order_id=order_id,
        round_number=round_number,
        pos_round=decided_by_pos.get(round_number),
        stations={p.product_id: p.station for p in current_menu.products} if current_menu else {},
        spot_name=await projections.spot_name(conn, session.spot_id) if session else None,
    )
    return await _decide_on_session(
        EventStore(conn.engine), session_id, command, conn=conn, cause=cause
    )


async def close_order(
    conn: AsyncConnection,
    *,
    session_id: str,
    order_id: str,
    fully_paid: bool,
    cause: EventEnvelope,
) -> Outcome:
    command = CloseOrder(session_id=session_id, order_id=order_id, fully_paid=fully_paid)
    return await _decide_on_session(
        EventStore(conn.engine), session_id, command, conn=conn, cause=cause
    )
