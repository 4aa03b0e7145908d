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

    # --- e-mail ----------------------------------------------------------------------------
    smtp_host: str = Field(default="127.0.0.1", description="the SMTP server e-mails go through")
    smtp_port: int = Field(
        default=2525, ge=1, le=65535, description="default: the SMTP sink's (convive.doubles)"
    )
    smtp_username: str | None = Field(default=None, description="AUTH login, if the server wants")
    smtp_password: str | None = None
    smtp_starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS")
    smtp_timeout: float = Field(default=30.0, gt=0, description="seconds per SMTP exchange")
    mail_from: str = Field(
        default="no-reply@convive.localhost",
        description="the sender address (the venue's name is shown as its display name)",
    )
    mail_retry_base: float = Field(
        default=30.0, gt=0, description="seconds before the 2nd try; doubled after each failure"
    )
    mail_retry_max: float = Field(default=3600.0, gt=0, description="longest wait between tries")
    mail_max_attempts: int = Field(default=12, ge=1, description="tries before giving up")
    mail_poll_interval: float = Field(
        default=10.0, gt=0, description="how often the sender looks for due e-mails unwoken"
    )
