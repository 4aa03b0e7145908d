"""The gateway's app: the web apps and their same-origin API in front of the services.

It keeps no events of its own, so it has no database and no broker: it calls the services
over HTTP (`upstream`) and forwards the notifier's live streams (`live_proxy`,
docs/decisions/0007-one-origin.md). The guest app (`guest`), the POS console (`pos`) and the back
office (`admin`) are built on what `web` gives them and never import each other.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Litestar
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router

from convive.gateway import admin, guest, live_proxy, pos
from convive.gateway.settings import Settings
from convive.gateway.web import handlers, language, sign_in
from convive.gateway.web.refusals import Refused
from convive.gateway.web.shared import Shared
from convive.runtime.app import ServiceDefinition, create_service_app

HERE = Path(__file__).parent


def definition(shared: Shared) -> ServiceDefinition:
    return ServiceDefinition(
        name="gateway",
        description="the web apps (guest, POS console, back office) and their same-origin API",
        stores_events=False,
        route_handlers=[
            *guest.ROUTES,
            *sign_in.ROUTES,
            *admin.ROUTES,
            *pos.ROUTES,
            *live_proxy.ROUTES,
            create_static_files_router(
                path="/static",
                directories=[HERE / "static"],
                include_in_schema=False,
                send_as_attachment=False,
            ),
        ],
        dependencies=shared.dependencies(),
        lifespans=[shared.lifespan],
    )


def template_engine() -> JinjaTemplateEngine:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    language.install(environment)
    return JinjaTemplateEngine.from_environment(environment)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    language.load_catalogues()  # a catalogue not compiled stops the gateway here, not a page
    shared = Shared(settings)
    app = create_service_app(definition(shared), settings)
    shared.install(app)
    app.template_engine = template_engine()
    # The gateway's own refusals answer as each app does (a page, a redirect, or JSON).
    app.exception_handlers[Refused] = handlers.on_refused
    return app
