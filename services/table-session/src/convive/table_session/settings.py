"""Settings of the table-session service, from the environment (prefix `CONVIVE_TABLE_SESSION_`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_TABLE_SESSION_", extra="ignore")

    service: ClassVar[str] = "table-session"
    port: int = 8101
