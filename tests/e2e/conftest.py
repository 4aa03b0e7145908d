"""The platform as processes for end-to-end tests: every service started with `python -m`,
on real Kafka and PostgreSQL, each in a schema and topic namespace of the test's own."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from convive.cli.platform import Platform, plan
from convive.contracts import SERVICES

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"


def free_port_block(size: int) -> int:
    """A first port with `size` free ports after it, on 127.0.0.1."""
    for base in range(23100, 60000, 25):
        taken = False
        for port in range(base, base + size):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    taken = True
                    break
        if not taken:
            return base
    raise RuntimeError("no block of free ports")


def platform_env(database_url: str, kafka_bootstrap: str, namespace: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CONVIVE_DATABASE_URL": database_url,
        "CONVIVE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CONVIVE_TOPIC_NAMESPACE": namespace,
    }
    for service in SERVICES:
        prefix = f"CONVIVE_{service.replace('-', '_').upper()}_"
        env[f"{prefix}DB_SCHEMA"] = f"{namespace}{service.replace('-', '_')}"
        env[f"{prefix}OUTBOX_POLL_INTERVAL"] = "1"
    return env


@pytest.fixture
def platform(
    database_url: str, kafka_bootstrap: str, namespace: str, request: pytest.FixtureRequest
) -> Iterator[Platform]:
    """Every service running as its own process; logs under test-output/e2e/<test>/."""
    first = free_port_block(len(SERVICES))
    services = plan(gateway_port=first + len(SERVICES) - 1, first_port=first)
    log_dir = OUTPUT / re.sub(r"[^\w.-]", "_", request.node.name)
    env = platform_env(database_url, kafka_bootstrap, namespace)
    env["CONVIVE_TABLE_SESSION_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{first + len(SERVICES) - 1}"
    running = Platform(services, env, log_dir=log_dir)
    running.start()
    try:
        running.wait_ready(timeout=180)
        yield running
    finally:
        running.stop()
