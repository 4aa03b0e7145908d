"""The guests' shared cart and the order its confirmations build, on the session's stream: adding,
changing and removing cart lines, confirming the cart into the order's next round, and closing
the order once pos-gateway says it is paid in full. Each command reads what the session stream
cannot know (the session as table-session told it, the venue's current menu, the POS's
amendments and rejections) and hands it to the pure decision.

`decide_on_session` is also how production acts on the session stream (`production`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.ordering.commands import event_store
from convive.ordering.commands.menu import load_menu
from convive.ordering.domain import menu, table_order
from convive.ordering.domain.table_order import (
    AddCartItem,
    ChangeCartItem,
    CloseOrder,
    ConfirmCart,
    OptionPick,
    RemoveCartItem,
    SessionFacts,
    TableOrder,
)
from convive.ordering.projections import own, pos_gateway, table_session
from convive.runtime.eventstore import EventStore, decide_and_append

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The session stream's state after a command, the events the command appended, and the
    session as ordering knew it when deciding (for guests' commands)."""

    state: TableOrder
    event_ids: tuple[str, ...]
    session: SessionFacts | None = None


def new_line_id() -> str:
    return uuid.uuid4().hex


def new_order_id() -> str:
    return f"ord_{uuid.uuid4().hex}"


async def load_table_order(store: EventStore, session_id: str) -> TableOrder:
    return table_order.fold(await store.read_stream(session_id))


async def decide_on_session(
    store: EventStore,
    session_id: str,
    command: table_order.Command,
    *,
    conn: AsyncConnection | None = None,
    cause: EventEnvelope | None = None,
) -> Outcome:
    """Decide the command on the session's stream and append (the store writes ordering's own
    read models in the append's transaction); a lost race is decided again on fresh state. With
    `conn`, in that transaction (a consumer's), and `cause` is the event that asked for it."""
    caused = cause.caused() if cause is not None else {}
    after: list[EventEnvelope] = []

    def decide(history: list[EventEnvelope]) -> list[EventEnvelope]:
        state = table_order.fold(history)
        new = [
            EventEnvelope.wrap(e, subject=session_id, **caused)
            for e in table_order.decide(state, command)
        ]
        # Keep what was decided on, so the answer reflects exactly this append.
        after[:] = [*history, *new]
        return new

    result = await decide_and_append(store, session_id, decide, conn=conn)
    return Outcome(
        state=table_order.fold(after),
        event_ids=result.event_ids if result is not None else (),
        session=getattr(command, "session", None),
    )


async def session_facts(store: EventStore, session_id: str) -> SessionFacts | None:
    """The session as ordering knows it from table-session's events (None while unknown)."""
    async with store.engine.connect() as conn:
        return await table_session.session_facts(conn, session_id)


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
        session = await table_session.session_facts(conn, session_id)
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
    return line_id, await decide_on_session(store, session_id, command)


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
    return await decide_on_session(store, session_id, command)


async def remove_cart_item(
    store: EventStore, *, session_id: str, guest_id: str, line_id: str
) -> Outcome:
    command = RemoveCartItem(
        session_id=session_id,
        session=await session_facts(store, session_id),
        guest_id=guest_id,
        line_id=line_id,
    )
    return await decide_on_session(store, session_id, command)


async def confirm_cart(store: EventStore, *, session_id: str, guest_id: str) -> Outcome:
    """Turn the cart into the order's next round. The order's session is recorded by ordering's
    own read models in the same transaction (`own.order_sessions`), so that a POS event naming
    only the order always finds it."""
    async with store.engine.connect() as conn:
        session = await table_session.session_facts(conn, session_id)
        decided_by_pos = await pos_gateway.pos_rounds_of_session(conn, session_id)
    command = ConfirmCart(
        session_id=session_id,
        session=session,
        guest_id=guest_id,
        new_order_id=new_order_id(),
        pos_rounds=decided_by_pos,
    )
    return await decide_on_session(store, session_id, command)


# --- commands issued by pos-gateway's events (inside the consumer's transaction) -------------


async def session_of_order(
    conn: AsyncConnection, order_id: str, session_id: str | None
) -> str | None:
    """The session of an order a POS event names: the one the event names, or the one ordering
    recorded when it placed the order (None, with a warning, for an order it does not know)."""
    if session_id:
        return session_id
    found = await own.session_of_order(conn, order_id)
    if found is None:
        log.warning("event about an order ordering does not know", extra={"order_id": order_id})
    return found


async def close_order(
    conn: AsyncConnection,
    *,
    order_id: str,
    session_id: str | None,
    fully_paid: bool,
    cause: EventEnvelope,
) -> Outcome | None:
    """A payment was settled: a payment in full closes the order (once); a part payment leaves
    it open. None when ordering does not know the order."""
    session_id = await session_of_order(conn, order_id, session_id)
    if session_id is None:
        return None
    command = CloseOrder(session_id=session_id, order_id=order_id, fully_paid=fully_paid)
    return await decide_on_session(
        event_store(conn.engine), session_id, command, conn=conn, cause=cause
    )
