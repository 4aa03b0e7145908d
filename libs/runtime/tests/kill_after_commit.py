"""Run as a process by test_outbox: appends one event, then dies by SIGKILL inside the relay,
after the commit and before anything was published. Prints the event id first."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from convive.contracts import EventEnvelope
from convive.contracts.table_session import TableScanned
from convive.runtime import db, kafka
from convive.runtime.eventstore import NO_STREAM, EventStore
from convive.runtime.outbox import OutboxRelay


async def main(database_url: str, schema: str, bootstrap: str, topic: str) -> None:
    engine = db.create_engine(database_url, schema)
    store = EventStore(engine)
    producer = kafka.make_producer(bootstrap, "kill-after-commit")
    await producer.start()

    def die(_: int) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    relay = OutboxRelay(engine, producer, topic, before_publish=die)
    envelope = EventEnvelope.wrap(
        TableScanned(venue_id="v", spot_id="spot-k", device_id="d"), subject="spot-k"
    )
    await store.append("spot-k", [envelope], expected_version=NO_STREAM)
    print(envelope.id, flush=True)
    await relay.drain()
    raise SystemExit("the relay should have been killed before publishing")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
