"""The notifier service's app: its live event streams, the back office's list of e-mails, its
subscriptions (`subscriptions.PROJECTIONS`), its event store (where each e-mail's tries are
recorded, and which keeps the e-mails' rows with them), the live hub and the e-mail sender."""

from pathlib import Path

from litestar import Litestar

from convive.notifier import subscriptions
from convive.notifier.adapters.mail_texts import MailTexts
from convive.notifier.api.guest import SessionStreams
from convive.notifier.api.pos import VenueStreams
from convive.notifier.api.staff import VenueNotifications
from convive.notifier.domain.feeds import feed_channel
from convive.notifier.settings import Settings
from convive.notifier.workers.feed_hub import FeedHub
from convive.notifier.workers.mail_sender import MailSender
from convive.runtime import db
from convive.runtime.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).with_name("migrations")


def definition(settings: Settings) -> ServiceDefinition:
    hub = FeedHub(db.plain_dsn(settings.database_url), feed_channel(settings.db_schema))
    sender = MailSender(settings, MailTexts())
    hub.on_mail_due(sender.wake)
    return ServiceDefinition(
        name="notifier",
        description="live relay of events to browsers (SSE) and POS devices, e-mail and SMS",
        migrations=MIGRATIONS,
        projections=subscriptions.PROJECTIONS,
        own_read_models=subscriptions.OWN_READ_MODELS,
        route_handlers=[SessionStreams, VenueStreams, VenueNotifications],
        dependencies={"feed_hub": lambda: hub},
        lifespans=[hub.lifespan, sender.lifespan],
        stores_events=True,  # NotificationSent / NotificationFailed, through the outbox
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    return create_service_app(definition(settings), settings)
