"""Settings of the notifier service, from the environment (prefix `CONVIVE_NOTIFIER_`)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_NOTIFIER_", extra="ignore")

    service: ClassVar[str] = "notifier"
    port: int = 8106

    heartbeat_interval: float = Field(
        default=15.0,
        gt=0,
        description="seconds between SSE comment lines on an idle stream, so proxies keep it",
    )
    access_grace: float = Field(
        default=3.0,
        ge=0,
        description="how long a stream request waits for a session, guest or device that is not "
        "known yet (its event may be on its way) before refusing",
    )
    feed_poll_interval: float = Field(
        default=1.0,
        gt=0,
        description="how often streams re-read their feed while the LISTEN connection is down",
    )
    feed_page_size: int = Field(default=200, ge=1, description="feed entries read per query")
    sse_retry_ms: int = Field(
        default=2000, ge=0, description="reconnection delay suggested to EventSource clients"
    )
