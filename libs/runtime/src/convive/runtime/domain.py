"""What every service's pure domain builds on: the errors a decision refuses a command with, and
`fold`, the one way a state is built from a stream's history.

This module imports nothing but the standard library and the contracts, so that a `domain`
package that uses it stays free of I/O (an import-linter contract checks it). The errors carry
no HTTP status: the runtime's HTTP layer (`convive.runtime.http_errors`) maps each kind to one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TypeVar, overload

from convive.contracts import Event, EventEnvelope

S = TypeVar("S")


class DomainError(Exception):
    """A command the domain refuses, with a message that names the problem and, when one field
    of the command is at fault, that field. Refused as it stands: "unprocessable"."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Facts a client acts on, added to the answer (e.g. who validated a round first).
        self.details = dict(details or {})


class Invalid(DomainError):
    """The command is malformed in a way its schema could not say (a bad combination of
    fields, an unreadable value)."""


class Unauthenticated(DomainError):
    """The caller is not known: no credential, or one that is wrong, expired or revoked."""


class Forbidden(DomainError):
    """The caller is known but may not do this (another venue's order, a role too low, a guest
    not seated at the session)."""


class NotFound(DomainError):
    """What the command names does not exist (or is not known yet)."""


class Conflict(DomainError):
    """The command collides with the current state (already validated, already paid, taken)."""


class Gone(DomainError):
    """What the command names existed and is no longer valid (a replaced QR token)."""


class TooManyAttempts(DomainError):
    """Too many tries in a short time; `retry_after` says in how many seconds to try again."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        field: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, field=field, details=details)
        self.retry_after = max(1, int(retry_after))


class ThirdPartyUnavailable(DomainError):
    """A third party the command needs (payment provider, PMS) did not answer as it should."""


def event_of(item: Event | EventEnvelope) -> Event:
    """The event itself, whether it comes bare or in its envelope."""
    return item.event() if isinstance(item, EventEnvelope) else item


@overload
def fold(
    evolve: Callable[[S, Event], S],
    initial: S,
    history: Iterable[Event | EventEnvelope],
) -> S: ...


@overload
def fold(
    evolve: Callable[[S, Event, datetime | None], S],
    initial: S,
    history: Iterable[Event | EventEnvelope],
    *,
    with_time: bool,
) -> S: ...


def fold(
    evolve: Callable[..., S],
    initial: S,
    history: Iterable[Event | EventEnvelope],
    *,
    with_time: bool = False,
) -> S:
    """The state after `history`, from `initial`, one `evolve(state, event)` at a time.

    Items may be bare events or envelopes read from a stream. With `with_time`, `evolve` also
    gets when each event was recorded (None for a bare event): for rules that depend on time,
    such as how often a refusal is recorded.
    """
    state = initial
    for item in history:
        if with_time:
            recorded = item.time if isinstance(item, EventEnvelope) else None
            state = evolve(state, event_of(item), recorded)
        else:
            state = evolve(state, event_of(item))
    return state
