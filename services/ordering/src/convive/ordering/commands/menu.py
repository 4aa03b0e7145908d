"""A venue's menu: publishing it whole, and loading the current one (for the guests' cart and
for production, which sends each product to its station)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import MenuCategory, MenuProduct
from convive.ordering.domain import menu
from convive.runtime.eventstore import AppendResult, EventStore, decide_and_append


async def load_menu(
    store: EventStore, venue_id: str, *, conn: AsyncConnection | None = None
) -> menu.Menu | None:
    """The venue's current menu: the last event of its stream, which carries the whole menu."""
    stream = menu.menu_stream(venue_id)
    version = await store.stream_version(stream, conn=conn)
    if version == 0:
        return None
    return menu.fold(await store.read_stream(stream, from_version=version, conn=conn))


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
        current = menu.fold(history[-1:])
        return [EventEnvelope.wrap(e, subject=stream) for e in menu.decide(current, command)]

    result = await decide_and_append(store, stream, decide)
    assert result is not None, "publishing a menu always appends"
    return result
