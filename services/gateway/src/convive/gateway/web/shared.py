"""What the gateway's handlers share: its settings, the clients of the services (made in the
lifespan, so they belong to the serving event loop), the signed cookies' readers and the staff
accounts' check. Handlers get each as a dependency; guards, which have none, find it on the
app's state (`Shared.of`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection

from convive.gateway.settings import Settings
from convive.gateway.upstream import Services
from convive.gateway.web.cookies import GuestCookies, StaffCookies
from convive.gateway.web.staff import StaffAccounts


class Shared:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        key = settings.cookie_secret.get_secret_value()
        self.cookies = GuestCookies(key, secure=settings.cookie_secure)
        self.staff_cookies = StaffCookies(key, secure=settings.cookie_secure)
        self.staff_accounts = StaffAccounts()
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = Services(self.settings)
        return self._services

    @asynccontextmanager
    async def lifespan(self, _: Litestar) -> AsyncIterator[None]:
        self._services = Services(self.settings)
        try:
            yield
        finally:
            await self._services.aclose()
            self._services = None

    def dependencies(self) -> dict[str, Any]:
        return {
            "services": lambda: self.services,
            "guest_cookies": lambda: self.cookies,
            "staff_cookies": lambda: self.staff_cookies,
            "staff_accounts": lambda: self.staff_accounts,
        }

    def install(self, app: Litestar) -> None:
        app.state["shared"] = self

    @staticmethod
    def of(connection: ASGIConnection[Any, Any, Any, Any]) -> Shared:
        shared = connection.app.state["shared"]
        assert isinstance(shared, Shared)
        return shared
