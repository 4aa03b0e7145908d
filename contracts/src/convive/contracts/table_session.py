"""Events owned by the table-session service (topic `convive.table-session.events`).

Spots (tables and rooms) are the streams: a spot's stream holds its creation, its QR tokens,
every scan, and the sessions opened and closed on it, so one spot's story is in order. Profit
centres have streams of their own.
"""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from convive.contracts.base import Event


class JourneyMode(StrEnum):
    """What guests can do from their phone in a profit centre."""

    MENU = "menu"
    ORDER = "order"
    ORDER_AND_PAY = "order_and_pay"
    PAY = "pay"


class PmsIntegration(StrEnum):
    """How a hotel's property-management system (PMS) takes the charges Convive sells."""

    NONE = "none"
    ONE_WAY = "one_way"  # staff post each charge in the PMS by hand
    TWO_WAY = "two_way"  # Convive posts confirmed charges to the guest's folio itself


class SpotKind(StrEnum):
    TABLE = "table"
    ROOM = "room"


class VenueConfigured(Event):
    """The venue's settings were set or changed (the whole set each time).
    Stream: `venue-<venue_id>`."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    name: str
    language: str = Field(default="fr", pattern=r"^(fr|en)$", description="the staff's language")
    notification_email: str | None = Field(
        default=None, description="where the property is told of concierge orders"
    )
    pms_integration: PmsIntegration = PmsIntegration.NONE
    time_zone: str = Field(
        default="Europe/Paris",
        min_length=1,
        max_length=64,
        description="the venue's IANA time zone, in which staff and guests read times",
    )


class ProfitCentreConfigured(Event):
    """A profit centre (dining room, terrace, bar, room service) was set up or changed.
    Stream: the profit centre."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    profit_centre_id: str
    name: str
    mode: JourneyMode


class SpotCreated(Event):
    """A table or room was added to a profit centre. Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    profit_centre_id: str
    spot_id: str
    name: str = Field(description="as printed on the table, e.g. 'Table 4' or 'Room 112'")
    kind: SpotKind


class QrTokenIssued(Event):
    """The spot's QR code now carries this token; any earlier token stops working.
    Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    spot_id: str
    token: str = Field(description="unguessable token in the guest URL /t/<token>")


class TableScanned(Event):
    """A phone scanned a spot's QR code (table or room). Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str = Field(description="venue (établissement) of the spot")
    spot_id: str = Field(description="the table or room scanned")
    device_id: str = Field(description="the scanning phone's pseudonymous id")


class SessionOpened(Event):
    """A scan of a free spot opened a session; the scanning guest is its host.
    Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    profit_centre_id: str
    spot_id: str
    session_id: str
    host_guest_id: str
    pin: str = Field(pattern=r"^[0-9]{6}$", description="shown to the host and on the POS")


class GuestJoined(Event):
    """Another guest joined the open session of a spot. Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    spot_id: str
    session_id: str
    guest_id: str
    device_id: str


class JoinRefusal(StrEnum):
    """Why a phone could not join a spot's session."""

    PIN_REQUIRED = "pin_required"
    WRONG_PIN = "wrong_pin"
    LOCKED_OUT = "locked_out"
    PREVIOUS_BILL_OPEN = "previous_bill_open"


class JoinRefused(Event):
    """A phone was refused a seat in the spot's session (it may still read the menu).
    Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    spot_id: str
    session_id: str | None = Field(default=None, description="the session it tried to join")
    device_id: str
    reason: JoinRefusal


class PinRotated(Event):
    """The session's PIN changed (too many wrong tries, or staff asked); staff are alerted.
    Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    spot_id: str
    session_id: str
    pin: str = Field(pattern=r"^[0-9]{6}$")
    reason: str = Field(description="e.g. 'too_many_wrong_pins' or 'staff'")


class SessionClosed(Event):
    """The session ended (its bill was settled). Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    spot_id: str
    session_id: str
    reason: str = Field(description="why it closed, e.g. 'settled'")


class SpotReleased(Event):
    """The spot is free again: the next scan opens a new session. Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str
    spot_id: str
    session_id: str = Field(description="the session that had the spot")
