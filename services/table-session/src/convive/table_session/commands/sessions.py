"""A session's PIN (drawn here) rotated by staff, and the session closed when its bill is settled
(issued by the PaymentSettled subscription, inside the consumer's transaction)."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Event, EventEnvelope
from convive.runtime.domain import NotFound
from convive.runtime.eventstore import EventStore
from convive.table_session import queries
from convive.table_session.commands.store import Outcome, decide, event_store
from convive.table_session.domain import spots


def new_pin(other_than: str | None = None) -> str:
    """Six random digits; a replacement PIN is never the PIN it replaces."""
    while True:
        pin = f"{secrets.randbelow(1_000_000):06d}"
        if pin != other_than:
            return pin


async def rotate_pin(store: EventStore, session_id: str, reason: str) -> tuple[str, Outcome]:
    """Give the session a new PIN (staff asked)."""
    async with store.engine.connect() as conn:
        spot_id = await queries.spot_of_session(conn, session_id)
    if spot_id is None:
        raise NotFound(f"unknown session {session_id!r}", field="session_id")
    pins: list[str] = []

    def decide_on(history: list[EventEnvelope]) -> list[Event]:
        state = spots.fold(history)
        pins[:] = [new_pin(other_than=spots.current_pin(state))]
        command = spots.RotatePin(session_id=session_id, new_pin=pins[0], reason=reason)
        return spots.decide_rotate_pin(state, command)

    outcome = await decide(store, spot_id, decide_on)
    return pins[0], outcome


async def settle(
    conn: AsyncConnection, session_id: str, *, fully_paid: bool, caused: dict[str, str]
) -> Outcome | None:
    """A payment of the session's bill: paid in full, the session is closed (reason "settled")
    and its spot released; a part payment leaves both open. None when nothing was closed: a part
    payment, an unknown session, or one closed already (a repeated or stray settlement)."""
    if not fully_paid:
        return None
    spot_id = await queries.spot_of_session(conn, session_id, open_only=True)
    if spot_id is None:
        return None
    command = spots.CloseSession(session_id=session_id, reason="settled")

    def decide_on(history: list[EventEnvelope]) -> list[Event]:
        return spots.decide_close_session(spots.fold(history), command)

    # conn.engine is the service's engine bound to its schema.
    store = event_store(conn.engine)
    # A scan of the same spot may win the race; retrying (each try in a savepoint of `conn`)
    # keeps a settlement from exhausting the consumer's few attempts and landing in the DLQ.
    return await decide(store, spot_id, decide_on, conn=conn, caused=caused)
