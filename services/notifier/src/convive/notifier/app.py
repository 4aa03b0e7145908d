"""The notifier service's app: its live event streams, the e-mails it sends, its projections
and its event store (where each e-mail's tries are recorded)."""

from pathlib import Path

from litestar import Litestar

from convive.notifier.api import EventStreams
from convive.notifier.back_office import VenueNotifications
from convive.notifier.live import FeedHub
from convive.notifier.outgoing import emails_projection
from convive.notifier.projections import PROJECTIONS, feed_channel
from convive.notifier.sender import MailSender
from convive.notifier.settings import Settings
from convive.runtime import db
from convive.runtime.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).with_name("migrations")


def definition(settings: Settings) -> ServiceDefinition:
    hub = FeedHub(db.plain_dsn(settings.database_url), feed_channel(settings.db_schema))
    sender = MailSender(settings)
    hub.on_mail_due(sender.wake)
    return ServiceDefinition(
        name="notifier",
        description="live relay of events to browsers (SSE) and POS devices, e-mail and SMS",
        migrations=MIGRATIONS,
        projections=[*PROJECTIONS, emails_projection],
        route_handlers=[EventStreams, VenueNotifications],
        dependencies={"feed_hub": lambda: hub},
        lifespans=[hub.lifespan, sender.lifespan],
        stores_events=True,  # NotificationSent / NotificationFailed, through the outbox
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    return create_service_app(definition(settings), settings)
