"""Settings of the crm service, from the environment (prefix `CONVIVE_CRM_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_CRM_", extra="ignore")

    service: ClassVar[str] = "crm"
    port: int = 8105
