"""The pos-gateway service's app: its HTTP API, its projections and its event store."""

from pathlib import Path

from litestar import Litestar

from convive.pos_gateway.api import router
from convive.pos_gateway.projections import PROJECTIONS
from convive.pos_gateway.settings import Settings
from convive.runtime.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).with_name("migrations")


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="pos-gateway",
        description="POS device pairing and feed, order validation, payments, PMS folio posting",
        route_handlers=[router],
        migrations=MIGRATIONS,
        projections=PROJECTIONS,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(definition(), settings or Settings())
