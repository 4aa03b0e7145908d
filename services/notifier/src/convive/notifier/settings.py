"""Settings of the notifier service, from the environment (prefix `CONVIVE_NOTIFIER_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_NOTIFIER_", extra="ignore")

    service: ClassVar[str] = "notifier"
    port: int = 8106
