"""The gateway's app: the web apps and their same-origin API in front of the services.

It keeps no events of its own, so it has no database and no broker.
"""

from litestar import Litestar

from convive.gateway.settings import Settings
from convive.runtime.app import ServiceDefinition, create_service_app


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="gateway",
        description="the web apps (guest, POS console, back office) and their same-origin API",
        stores_events=False,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(definition(), settings or Settings())
