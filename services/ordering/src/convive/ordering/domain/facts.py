"""What ordering learnt from other services' events and hands to its decisions: the table
sessions and their guests, the spots (tables and rooms) they are at, the refusal of a caller
who is known but may not act, and the rule that only a seated guest acts on a session."""

from __future__ import annotations

from dataclasses import dataclass

from convive.contracts.table_session import JourneyMode, SpotKind
from convive.runtime.domain import Conflict, Forbidden, NotFound


@dataclass(frozen=True)
class SessionFacts:
    """What table-session's events told us about a session (from the sessions projection)."""

    session_id: str
    venue_id: str
    spot_id: str
    open: bool
    guests: frozenset[str]
    profit_centre_id: str | None = None
    mode: JourneyMode | None = None
    """The mode of the session's profit centre as last configured; None while unknown."""
    host_guest_id: str | None = None

    @property
    def effective_mode(self) -> JourneyMode:
        """A profit centre whose mode we have not learnt yet behaves as `order` (as every
        profit centre did before modes existed)."""
        return self.mode or JourneyMode.ORDER


@dataclass(frozen=True)
class SpotFacts:
    """A table or room as table-session's `SpotCreated` described it."""

    spot_id: str
    venue_id: str
    name: str
    kind: SpotKind


def seated_guest(session: SessionFacts | None, session_id: str, guest_id: str) -> SessionFacts:
    """The session, if ordering knows it, it is open and this guest is one of its guests;
    otherwise the refusal."""
    if session is None:
        raise NotFound(
            f"session {session_id} not known yet: if it was just opened, try again in a moment",
            field="session_id",
        )
    if guest_id not in session.guests:
        raise Forbidden(
            f"guest {guest_id} is not a guest of session {session_id}", field="guest_id"
        )
    if not session.open:
        raise Conflict(f"session {session_id} is closed", field="session_id")
    return session
