"""Settings of the ordering service, from the environment (prefix `CONVIVE_ORDERING_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_ORDERING_", extra="ignore")

    service: ClassVar[str] = "ordering"
    port: int = 8102
