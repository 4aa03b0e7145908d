"""Events owned by the table-session service (topic `convive.table-session.events`)."""

from typing import ClassVar

from pydantic import Field

from convive.contracts.base import Event


class TableScanned(Event):
    """A phone scanned a spot's QR code (table or room). Stream: the spot."""

    service: ClassVar[str] = "table-session"

    venue_id: str = Field(description="venue (établissement) of the spot")
    spot_id: str = Field(description="the table or room scanned")
    device_id: str = Field(description="the scanning phone's pseudonymous id")
