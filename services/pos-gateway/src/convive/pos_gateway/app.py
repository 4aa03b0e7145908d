"""The pos-gateway service's app: its HTTP API, its subscriptions, its event store (which
writes the POS's own read models with every append), its clients of the payment provider and
the PMS, and the worker that posts concierge orders to the PMS."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from litestar import Litestar

from convive.pos_gateway.adapters.payment_provider import SandboxProvider
from convive.pos_gateway.adapters.pms import SandboxPms
from convive.pos_gateway.api import router
from convive.pos_gateway.projections import own
from convive.pos_gateway.settings import Settings
from convive.pos_gateway.subscriptions import PROJECTIONS
from convive.pos_gateway.workers.folio_posting import folio_posting
from convive.runtime.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).with_name("migrations")


def third_parties(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan holding the HTTP clients of the payment provider (`app.state.
    payment_provider`) and of the PMS (`app.state.pms`)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        provider = SandboxProvider(
            base_url=settings.payment_provider_url,
            api_key=settings.payment_provider_api_key.get_secret_value(),
            webhook_secret=settings.payment_webhook_secret.get_secret_value(),
            tolerance=settings.payment_webhook_tolerance,
            timeout=settings.payment_provider_timeout,
        )
        pms = SandboxPms(
            base_url=settings.pms_url,
            api_key=settings.pms_api_key.get_secret_value(),
            timeout=settings.pms_timeout,
        )
        app.state.payment_provider = provider
        app.state.pms = pms
        try:
            yield
        finally:
            await provider.aclose()
            await pms.aclose()

    return lifespan


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()
    return ServiceDefinition(
        name="pos-gateway",
        description="POS device pairing and feed, order validation, payments, PMS folio posting",
        route_handlers=[router],
        migrations=MIGRATIONS,
        projections=PROJECTIONS,
        own_read_models=own.projection,
        # The clients first: the posting worker uses the PMS's.
        lifespans=[third_parties(settings), folio_posting(settings)],
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    return create_service_app(definition(settings), settings)
