"""Settings of the table-session service, from the environment (prefix `CONVIVE_TABLE_SESSION_`)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from convive.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVIVE_TABLE_SESSION_", extra="ignore")

    service: ClassVar[str] = "table-session"
    port: int = 8101
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="the guests' origin; QR codes encode {public_base_url}/t/{token}",
    )

    def guest_url(self, token: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/t/{token}"
