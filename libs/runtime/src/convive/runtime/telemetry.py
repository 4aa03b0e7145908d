"""Prometheus metrics and JSON logs shared by every service process."""

from __future__ import annotations

import logging
import sys

from prometheus_client import Counter, Gauge, Histogram
from pythonjsonlogger.json import JsonFormatter

EVENTS_APPENDED = Counter(
    "convive_events_appended_total", "Events appended to the event store", ["schema"]
)
OUTBOX_PUBLISHED = Counter(
    "convive_outbox_published_total", "Events the outbox relay published to Kafka", ["topic"]
)
OUTBOX_BACKLOG = Gauge(
    "convive_outbox_backlog", "Events committed but not yet published", ["schema"]
)
CONSUMED = Counter(
    "convive_consumer_events_total",
    "Events handled by a consumer, by outcome (applied, duplicate, ignored, dead_lettered)",
    ["consumer", "outcome"],
)
CONSUMER_LAG = Gauge(
    "convive_consumer_lag",
    "Records between a consumer's position and the end of a partition",
    ["consumer", "topic", "partition"],
)
BATCH_SECONDS = Histogram(
    "convive_consumer_batch_seconds", "Time to handle one batch of records", ["consumer"]
)


def configure_logging(level: str = "INFO", *, service: str = "convive") -> None:
    """One JSON object per log line on stderr, with the service's name on every line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "faststream"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
