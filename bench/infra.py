"""One PostgreSQL and one Kafka for the run (started here, or named by the environment), the
run's unique namespace, what the report says about the machine, and the clean-up."""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.engine import make_url

from convive import localinfra

log = logging.getLogger(__name__)


@dataclass
class Infra:
    """Addresses of the servers this run uses and what it created on them."""

    database_url: str  # postgresql+asyncpg://…
    dsn: str  # postgresql://…
    bootstrap: str
    postgres_started: bool
    kafka_started: bool
    kafka_version: str
    namespace: str = field(default_factory=lambda: f"bench{secrets.token_hex(3)}_")
    schemas: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def schema(self, purpose: str) -> str:
        """A schema name unique to this run, remembered for the clean-up."""
        name = f"{self.namespace}{purpose}"
        self.schemas.append(name)
        return name

    def topic(self, name: str) -> str:
        """A topic name remembered for the clean-up (callers add the namespace)."""
        self.topics.append(name)
        return name

    def postgres_params(self) -> dict[str, Any]:
        url = make_url(self.database_url)
        return {
            "host": url.host or "127.0.0.1",
            "port": url.port or 5432,
            "user": url.username or "",
            "password": url.password or "",
            "dbname": url.database or "",
        }


def _kafka_version_of_jars() -> str:
    try:
        jars = localinfra.cache_dir() / "kafka-libs"
        for jar in sorted(jars.glob("kafka-server-[0-9]*.jar")):
            return jar.stem.removeprefix("kafka-server-")
    except OSError:
        pass
    return "unknown"


@contextlib.contextmanager
def servers() -> Iterator[Infra]:
    """Start (or reuse from CONVIVE_DATABASE_URL / CONVIVE_KAFKA_BOOTSTRAP) the two servers,
    and stop on exit only the ones started here."""
    started = time.monotonic()
    postgres = localinfra.postgres_from_env_or_start()
    try:
        kafka = localinfra.kafka_from_env_or_start()
        try:
            kafka_started = isinstance(kafka, localinfra.LocalKafka)
            infra = Infra(
                database_url=postgres.url,
                dsn=postgres.dsn,
                bootstrap=kafka.bootstrap,
                postgres_started=isinstance(postgres, localinfra.LocalPostgres),
                kafka_started=kafka_started,
                kafka_version=_kafka_version_of_jars() if kafka_started else "external",
            )
            print(
                f"servers ready in {time.monotonic() - started:.1f}s "
                f"(PostgreSQL {'started' if infra.postgres_started else 'from env'}, "
                f"Kafka {'started' if kafka_started else 'from env'})",
                flush=True,
            )
            yield infra
        finally:
            kafka.stop()
    finally:
        postgres.stop()


async def postgres_facts(dsn: str) -> dict[str, str]:
    """Server version and the durability settings that bound the append rates."""
    conn = await asyncpg.connect(dsn)
    try:
        facts = {}
        for name in ("server_version", "fsync", "synchronous_commit", "max_connections"):
            facts[name] = str(await conn.fetchval(f"SHOW {name}"))
        return facts
    finally:
        await conn.close()


async def create_schema(dsn: str, schema: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        await conn.close()


async def clean_up(infra: Infra) -> list[str]:
    """Drop the run's schemas and delete its topics; returns what could not be removed."""
    problems: list[str] = []
    if infra.schemas:
        try:
            conn = await asyncpg.connect(infra.dsn)
            try:
                for schema in dict.fromkeys(infra.schemas):
                    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            finally:
                await conn.close()
        except Exception as exc:
            problems.append(f"schemas {infra.schemas}: {exc}")
    if infra.topics:
        admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap, request_timeout_ms=10_000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            doomed = [t for t in dict.fromkeys(infra.topics) if t in existing]
            if doomed:
                await admin.delete_topics(doomed)
        except Exception as exc:
            problems.append(f"topics {infra.topics}: {exc}")
        finally:
            await admin.close()
    return problems


def machine_facts() -> dict[str, Any]:
    """Cores, memory, OS, Python and load average at the time of the call."""
    facts: dict[str, Any] = {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
    }
    with contextlib.suppress(OSError):
        facts["loadavg_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    return facts


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def library_versions() -> dict[str, str]:
    """Versions of the client libraries on the measured paths."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("aiokafka", "faststream", "sqlalchemy", "asyncpg", "eventsourcing", "psycopg"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
