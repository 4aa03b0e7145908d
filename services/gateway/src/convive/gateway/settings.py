"""Settings of the gateway service, from the environment (prefix `CONVIVE_GATEWAY_`)."""

from __future__ import annotations

import secrets
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_GATEWAY_", extra="ignore")

    service: ClassVar[str] = "gateway"
    port: int = 8000

    table_session_url: str = "http://127.0.0.1:8101"
    ordering_url: str = "http://127.0.0.1:8102"
    pos_gateway_url: str = "http://127.0.0.1:8103"
    loyalty_url: str = "http://127.0.0.1:8104"
    crm_url: str = "http://127.0.0.1:8105"
    notifier_url: str = "http://127.0.0.1:8106"

    cookie_secret: SecretStr = Field(
        # A random key per process is safe but forgets every phone at a restart: set one (and
        # share it between gateway replicas) in any real deployment.
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="key that signs the guest cookies (device, seat, flash)",
    )
    cookie_secure: bool = Field(
        default=False, description="send cookies over HTTPS only (true behind TLS)"
    )
    public_base_url: str = Field(
        default="",
        description="the origin guests use, e.g. https://convive.example; empty: the request's",
    )
    upstream_timeout: float = Field(default=10.0, gt=0, description="seconds per service call")
