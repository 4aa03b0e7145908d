"""Settings of the loyalty service, from the environment (prefix `CONVIVE_LOYALTY_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_LOYALTY_", extra="ignore")

    service: ClassVar[str] = "loyalty"
    port: int = 8104
