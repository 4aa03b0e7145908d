"""The gateway's app: the web apps and their same-origin API in front of the services.

It keeps no events of its own, so it has no database and no broker: it calls the services
over HTTP and forwards the notifier's live streams (docs/decisions/0007-one-origin.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Litestar
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router

from convive.gateway import admin, events, guest, guest_offers, pos, staff
from convive.gateway.cookies import GuestCookies
from convive.gateway.settings import Settings
from convive.gateway.upstream import Services
from convive.runtime.app import ServiceDefinition, create_service_app

HERE = Path(__file__).parent


class Gateway:
    """What the gateway's handlers share: the HTTP client to the services (made in the
    lifespan, so it belongs to the serving event loop) and the cookie signer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cookies = GuestCookies(
            settings.cookie_secret.get_secret_value(), secure=settings.cookie_secure
        )
        self.staff_cookies = staff.StaffCookies(
            settings.cookie_secret.get_secret_value(), secure=settings.cookie_secure
        )
        self.staff_accounts = staff.StaffAccounts()
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


def definition(gateway: Gateway) -> ServiceDefinition:
    return ServiceDefinition(
        name="gateway",
        description="the web apps (guest, POS console, back office) and their same-origin API",
        stores_events=False,
        route_handlers=[
            *guest.ROUTES,
            *guest_offers.ROUTES,
            *staff.ROUTES,
            *admin.ROUTES,
            *pos.ROUTES,
            *events.ROUTES,
            create_static_files_router(
                path="/static",
                directories=[HERE / "static"],
                include_in_schema=False,
                send_as_attachment=False,
            ),
        ],
        dependencies={
            "services": lambda: gateway.services,
            "guest_cookies": lambda: gateway.cookies,
            "staff_cookies": lambda: gateway.staff_cookies,
            "staff_accounts": lambda: gateway.staff_accounts,
        },
        lifespans=[gateway.lifespan],
    )


def template_engine() -> JinjaTemplateEngine:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    return JinjaTemplateEngine.from_environment(environment)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    app = create_service_app(definition(Gateway(settings)), settings)
    app.template_engine = template_engine()
    # Staff routes refuse with a login redirect or a 403 page, whichever app they belong to.
    app.exception_handlers.update(staff.EXCEPTION_HANDLERS)
    return app
