"""What the POS keeps of table-session's facts (the handlers are in `subscriptions.py`):

- `sessions`, `session_guests`: the guests of each session (who may pay an order from the
  phone); a `GuestJoined` that comes before its `SessionOpened` still seats the guest;
- `spots`: each spot's name (for the POS screens) and kind (only a room's order is charged to
  the room);
- `profit_centres`: each profit centre's journey mode (whether guests pay from the phone);
- `folio_venue_settings`: each venue's PMS setting over time, one row per `VenueConfigured`:
  the setting that applies to a concierge order is the one in force when it was confirmed (by
  event time), so a setting that arrives late still applies right; a setting wakes the PMS
  posting worker.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.table_session import ProfitCentreConfigured, SpotCreated, VenueConfigured
from convive.pos_gateway.projections import notify_folio_worker
from convive.pos_gateway.tables import (
    folio_venue_settings,
    profit_centres,
    session_guests,
    sessions,
    spots,
)


async def session_seen(
    conn: AsyncConnection,
    *,
    session_id: str,
    venue_id: str,
    spot_id: str,
    profit_centre_id: str | None = None,
) -> None:
    """A session at a spot; its profit centre once `SessionOpened` says it."""
    upsert = insert(sessions).values(
        session_id=session_id,
        venue_id=venue_id,
        spot_id=spot_id,
        profit_centre_id=profit_centre_id,
    )
    if profit_centre_id is None:
        await conn.execute(upsert.on_conflict_do_nothing())
    else:
        # A GuestJoined that came first left the profit centre unknown.
        await conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[sessions.c.session_id],
                set_={"profit_centre_id": upsert.excluded.profit_centre_id},
            )
        )


async def guest_seated(conn: AsyncConnection, *, session_id: str, guest_id: str) -> None:
    await conn.execute(
        insert(session_guests)
        .values(session_id=session_id, guest_id=guest_id)
        .on_conflict_do_nothing()
    )


async def spot_created(conn: AsyncConnection, event: SpotCreated) -> None:
    await conn.execute(
        insert(spots)
        .values(
            spot_id=event.spot_id,
            venue_id=event.venue_id,
            profit_centre_id=event.profit_centre_id,
            name=event.name,
            kind=event.kind.value,
        )
        .on_conflict_do_nothing()
    )


async def profit_centre_configured(conn: AsyncConnection, event: ProfitCentreConfigured) -> None:
    # Reconfiguring changes the mode; the events of one profit centre come in order.
    upsert = insert(profit_centres).values(
        profit_centre_id=event.profit_centre_id,
        venue_id=event.venue_id,
        name=event.name,
        mode=event.mode.value,
    )
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[profit_centres.c.profit_centre_id],
            set_={"name": upsert.excluded.name, "mode": upsert.excluded.mode},
        )
    )


async def venue_configured(
    conn: AsyncConnection, event: VenueConfigured, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(folio_venue_settings)
        .values(
            event_id=envelope.id,
            venue_id=event.venue_id,
            configured_at=envelope.time,
            pms_integration=event.pms_integration.value,
            language=event.language,
        )
        .on_conflict_do_nothing()
    )
    # A setting that arrives after a confirmation it applies to makes that order due now.
    await notify_folio_worker(conn)
