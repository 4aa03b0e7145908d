"""Kafka clients configured the way Convive needs them: an idempotent producer with `acks=all`
(aiokafka defaults to `acks=1` without idempotence), and topics kept forever."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


def producer_config(client_id: str) -> dict[str, object]:
    return {
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "request_timeout_ms": 30_000,
        "max_batch_size": 256 * 1024,
    }


def make_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    """An idempotent, all-replicas-acknowledged producer (order kept per partition)."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **producer_config(client_id))


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    *,
    partitions: int = 3,
    replication: int = 1,
    wait_seconds: float = 30.0,
) -> None:
    """Create the topics that do not exist yet, kept forever, and wait until they are visible."""
    wanted = list(dict.fromkeys(names))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in wanted if n not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process was first
                await admin.create_topics(
                    [
                        NewTopic(n, partitions, replication, topic_configs=dict(FOREVER))
                        for n in missing
                    ]
                )
            log.info("created topics", extra={"topics": missing})
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while set(wanted) - set(await admin.list_topics()):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topics not visible after {wait_seconds}s: {wanted}")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
