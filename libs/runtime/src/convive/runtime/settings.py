"""Settings every service shares, read from the environment (pydantic-settings).

Each service subclasses `ServiceSettings` with its own prefix (`CONVIVE_ORDERING_…`); the
platform-wide `CONVIVE_DATABASE_URL`, `CONVIVE_KAFKA_BOOTSTRAP` and `CONVIVE_TOPIC_NAMESPACE` are
the defaults for every service, and the defaults work on one machine.
"""

from __future__ import annotations

import os
import re
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+asyncpg://convive:convive@127.0.0.1:5432/convive"
DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_SERVICE_", extra="ignore")

    service: ClassVar[str] = ""

    database_url: str = Field(
        default_factory=lambda: _env("CONVIVE_DATABASE_URL", DEFAULT_DATABASE_URL),
        description="SQLAlchemy URL (postgresql+asyncpg://…) of the PostgreSQL server",
    )
    db_schema: str = Field(default="", description="PostgreSQL schema; default: the service")
    kafka_bootstrap: str = Field(
        default_factory=lambda: _env("CONVIVE_KAFKA_BOOTSTRAP", DEFAULT_KAFKA_BOOTSTRAP)
    )
    topic_namespace: str = Field(
        default_factory=lambda: _env("CONVIVE_TOPIC_NAMESPACE", ""),
        description="prefix of every topic and consumer group (isolates tests)",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "INFO"
    migrate_on_start: bool = True
    create_topics: bool = True
    topic_partitions: int = Field(default=3, ge=1)
    outbox_poll_interval: float = Field(default=5.0, gt=0)
    consumer_attempts: int = Field(default=3, ge=1)
    consumer_max_records: int = Field(default=500, ge=1)
    consumer_batch_timeout_ms: int = Field(default=25, ge=1)
    db_pool_size: int = Field(default=10, ge=1)
    shutdown_grace: float = Field(
        default=5.0, ge=0, description="seconds open responses (streams) get at shutdown"
    )

    @model_validator(mode="after")
    def _default_schema(self) -> ServiceSettings:
        if not self.db_schema:
            self.db_schema = self.service.replace("-", "_") or "convive"
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.db_schema):
            raise ValueError(f"db_schema {self.db_schema!r} is not a plain lowercase identifier")
        return self
