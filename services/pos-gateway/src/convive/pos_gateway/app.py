"""The pos-gateway service's app: its HTTP API, its projections, its event store, and its
client of the payment provider."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from litestar import Litestar

from convive.pos_gateway.api import router
from convive.pos_gateway.folio_api import folio_router
from convive.pos_gateway.folio_posting import folio_posting
from convive.pos_gateway.folio_projections import folio
from convive.pos_gateway.payments.provider import SandboxProvider
from convive.pos_gateway.projections import PROJECTIONS
from convive.pos_gateway.settings import Settings
from convive.runtime.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).with_name("migrations")


def payment_provider(
    settings: Settings,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan holding the provider's HTTP client on `app.state.payment_provider`."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        provider = SandboxProvider(
            base_url=settings.payment_provider_url,
            api_key=settings.payment_provider_api_key.get_secret_value(),
            webhook_secret=settings.payment_webhook_secret.get_secret_value(),
            tolerance=settings.payment_webhook_tolerance,
            timeout=settings.payment_provider_timeout,
        )
        app.state.payment_provider = provider
        try:
            yield
        finally:
            await provider.aclose()

    return lifespan


def definition(settings: Settings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name="pos-gateway",
        description="POS device pairing and feed, order validation, payments, PMS folio posting",
        route_handlers=[router, folio_router],
        migrations=MIGRATIONS,
        projections=[*PROJECTIONS, folio],
        lifespans=[
            payment_provider(settings or Settings()),
            folio_posting(settings or Settings()),
        ],
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    return create_service_app(definition(settings), settings)
