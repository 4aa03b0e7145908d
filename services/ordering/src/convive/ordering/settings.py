"""Settings of the ordering service, from the environment (prefix `CONVIVE_ORDERING_`)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_ORDERING_", extra="ignore")

    service: ClassVar[str] = "ordering"
    port: int = 8102
    default_currency: str = Field(
        default="EUR",
        pattern=r"^[A-Z]{3}$",
        description="currency of an empty cart's total when the venue has no menu yet",
    )
