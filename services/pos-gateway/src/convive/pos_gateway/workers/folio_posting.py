"""The worker that posts confirmed concierge orders to the PMS: a lifespan task and a
`WakeableWorker` like the outbox relay. Each round tries every posting that is due (one at a
time per process; replicas share the work through row locks, see `commands.folio`), then
sleeps until the earliest scheduled retry, at most the poll interval. The projections wake it
(`pg_notify`) when an order is confirmed, its details arrive, or a venue's setting changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.pos_gateway.adapters.pms import Pms
from convive.pos_gateway.commands import folio
from convive.pos_gateway.domain.folio import BackoffPolicy
from convive.pos_gateway.projections import folio_work_channel
from convive.pos_gateway.queries.folio_postings import earliest_scheduled
from convive.pos_gateway.settings import Settings
from convive.runtime import db
from convive.runtime.eventstore import EventStore
from convive.runtime.wakeup import WakeableWorker


class FolioWorker(WakeableWorker):
    """Tries the postings that are due, one at a time per process."""

    def __init__(
        self,
        engine: AsyncEngine,
        store: EventStore,
        pms: Pms,
        policy: BackoffPolicy,
        *,
        poll_interval: float = 30.0,
    ) -> None:
        self.engine = engine
        self.store = store
        self.pms = pms
        self.policy = policy
        self.poll_interval = poll_interval
        channel = folio_work_channel(db.schema_of(engine))
        super().__init__(name=f"folio-{channel}", channel=channel)

    async def work_round(self) -> float:
        await self.work_due()
        return await self.seconds_to_next()

    async def work_due(self) -> int:
        """Try every posting due now; returns how many were claimed."""
        tried = 0
        while await folio.try_next_due(self.engine, self.store, self.pms, self.policy):
            tried += 1
        return tried

    async def seconds_to_next(self) -> float:
        """How long until the earliest scheduled try (at most the poll interval)."""
        async with self.engine.connect() as conn:
            earliest = await earliest_scheduled(conn)
        if earliest is None:
            return self.poll_interval
        return min(self.poll_interval, max(0.0, (earliest - datetime.now(UTC)).total_seconds()))


def folio_posting(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan running the posting worker with the app's event store and PMS client (the
    app's `third_parties` lifespan, entered before, holds the client on `app.state.pms`)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime = app.state.runtime
        worker = FolioWorker(
            runtime.engine,
            runtime.store,
            app.state.pms,
            folio.backoff_policy(settings),
            poll_interval=settings.folio_poll_interval,
        )
        worker.start(listen_dsn=db.plain_dsn(settings.database_url))
        try:
            yield
        finally:
            await worker.stop()

    return lifespan
