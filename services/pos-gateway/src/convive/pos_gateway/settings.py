"""Settings of the pos-gateway service, from the environment (prefix `CONVIVE_POS_GATEWAY_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_POS_GATEWAY_", extra="ignore")

    service: ClassVar[str] = "pos-gateway"
    port: int = 8103
