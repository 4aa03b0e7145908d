"""Creating a spot with its first QR token, and giving it a new token (the old QR code stops
working)."""

from __future__ import annotations

import secrets

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import SpotKind
from convive.runtime.eventstore import EventStore, new_stream_id
from convive.table_session.commands.store import Outcome, decide
from convive.table_session.domain import profit_centres, spots


def new_token() -> str:
    """An unguessable QR token (192 random bits)."""
    return secrets.token_urlsafe(24)


async def create_spot(
    store: EventStore, venue_id: str, profit_centre_id: str, name: str, kind: SpotKind
) -> tuple[spots.CreateSpot, Outcome]:
    command = spots.CreateSpot(
        venue_id=venue_id,
        profit_centre_id=profit_centre_id,
        spot_id=new_stream_id("spot"),
        name=name,
        kind=kind,
        token=new_token(),
    )
    async with store.engine.begin() as conn:
        # A profit centre is never removed, so reading it before deciding is safe.
        pc_history = await store.read_stream(
            profit_centres.profit_centre_stream(profit_centre_id), conn=conn
        )
        profit_centre = profit_centres.fold(pc_history)

        def decide_on(history: list[EventEnvelope]) -> list[Event]:
            return spots.decide_create_spot(spots.fold(history), profit_centre, command)

        # A fresh random spot id: no one else can be writing this stream.
        outcome = await decide(store, command.spot_id, decide_on, conn=conn)
    return command, outcome


async def rotate_token(store: EventStore, spot_id: str) -> tuple[str, Outcome]:
    """Give the spot a new QR token; the old one answers "no longer valid" from now on."""
    token = new_token()
    command = spots.RotateToken(spot_id=spot_id, new_token=token)

    def decide_on(history: list[EventEnvelope]) -> list[Event]:
        return spots.decide_rotate_token(spots.fold(history), command)

    return token, await decide(store, spot_id, decide_on)
