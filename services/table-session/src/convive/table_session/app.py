"""The table-session service's app: its HTTP API, its subscriptions and its event store (which
writes the own read models in every append's transaction)."""

from pathlib import Path

from litestar import Litestar

from convive.runtime.app import ServiceDefinition, create_service_app
from convive.table_session.api import ROUTES
from convive.table_session.projections import own
from convive.table_session.settings import Settings
from convive.table_session.subscriptions import PROJECTIONS

MIGRATIONS = Path(__file__).with_name("migrations")


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="table-session",
        description="spots, QR tokens, sessions, PINs and join rules",
        route_handlers=ROUTES,
        migrations=MIGRATIONS,
        projections=PROJECTIONS,
        own_read_models=own.projection,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    return create_service_app(definition(), settings or Settings())
