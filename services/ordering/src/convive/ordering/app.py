"""The ordering service's app: its HTTP API, its subscriptions and its event store (which writes
ordering's own read models in every append)."""

from pathlib import Path

from litestar import Litestar

from convive.ordering.api import ROUTE_HANDLERS
from convive.ordering.projections import own
from convive.ordering.settings import Settings
from convive.ordering.subscriptions import PROJECTIONS
from convive.runtime.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).with_name("migrations")


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="ordering",
        description="menus, shared carts, orders and rounds, concierge offer orders",
        route_handlers=ROUTE_HANDLERS,
        migrations=MIGRATIONS,
        projections=PROJECTIONS,
        own_read_models=own.projection,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(definition(), settings or Settings())
