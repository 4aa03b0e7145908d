"""The loyalty service's app: its HTTP API, its projections and its event store."""

from pathlib import Path

from litestar import Litestar

from convive.loyalty.api import ROUTE_HANDLERS
from convive.loyalty.settings import Settings
from convive.loyalty.subscriptions import PROJECTIONS
from convive.runtime.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).with_name("migrations")


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="loyalty",
        description="loyalty profiles, consent, codes, points ledger, rewards, ID cards",
        route_handlers=ROUTE_HANDLERS,
        migrations=MIGRATIONS,
        projections=PROJECTIONS,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(definition(), settings or Settings())
