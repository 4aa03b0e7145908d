"""Settings of the pos-gateway service, from the environment (prefix `CONVIVE_POS_GATEWAY_`)."""

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_POS_GATEWAY_", extra="ignore")

    service: ClassVar[str] = "pos-gateway"
    port: int = 8103

    # The payment provider guests pay through from their phone. The defaults are those of the
    # sandbox (the payment test double) on this machine.
    payment_provider_url: str = Field(
        default="http://127.0.0.1:8190", description="base URL of the provider's API"
    )
    payment_provider_api_key: SecretStr = Field(default=SecretStr("sk_sandbox_convive"))
    payment_webhook_secret: SecretStr = Field(
        default=SecretStr("whsec_sandbox_convive"),
        description="shared secret the provider signs its webhooks with",
    )
    payment_webhook_tolerance: float = Field(
        default=300.0, gt=0, description="seconds a webhook's signature stays acceptable"
    )
    payment_webhook_url: str | None = Field(
        default=None,
        description="URL the provider calls back (POST /payments/webhooks/sandbox of this "
        "service as the provider reaches it); default: this service's URL as it was called",
    )
    payment_provider_timeout: float = Field(default=10.0, gt=0)

    # The hotel's PMS, where confirmed concierge orders of two-way venues are posted (see
    # workers/folio_posting.py). The defaults are those of the PMS test double on this machine.
    pms_url: str = Field(default="http://127.0.0.1:8191", description="base URL of the PMS API")
    pms_api_key: SecretStr = Field(default=SecretStr("pms_sandbox_convive"))
    pms_timeout: float = Field(default=10.0, gt=0, description="seconds per call to the PMS")
    pms_backoff_base: float = Field(
        default=30.0, gt=0, description="seconds before the second try; doubles after each"
    )
    pms_backoff_max: float = Field(default=3600.0, gt=0, description="longest wait between tries")
    pms_max_attempts: int = Field(
        default=10, ge=1, description="automatic tries before staff must retry or post by hand"
    )
    folio_poll_interval: float = Field(
        default=30.0, gt=0, description="seconds between looks for due postings when not woken"
    )
