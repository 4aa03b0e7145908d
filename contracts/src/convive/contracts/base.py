"""The base of every event: a frozen pydantic model that knows its type name, schema version,
owning service, and the registry that maps a type name back to its class (with upcasters for
older versions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from convive.contracts.topics import SERVICES

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Event(BaseModel):
    """A fact that happened, named in the past tense.

    Subclasses set `service` (the owner, which publishes it on its topic) and may set
    `schema_version` (default 1) and `event_type` (default: the class name). Unknown fields are
    ignored on reading, so a consumer built against an older schema reads a newer event.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    service: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            cls.event_type = cls.__name__
        if not getattr(cls, "service", None):
            raise TypeError(f"event {cls.__name__} must name its owning service")
        if cls.service not in SERVICES:
            raise TypeError(f"event {cls.__name__}: unknown service {cls.service!r}")
        registry.register(cls)


class Money(BaseModel):
    """An amount in the currency's minor unit (cents), never a float."""

    model_config = ConfigDict(frozen=True)

    amount_minor: int = Field(description="amount in minor units, e.g. cents")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


class LocalizedText(BaseModel):
    """A text in French and English (the guest's language is chosen at display time)."""

    model_config = ConfigDict(frozen=True)

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)


class UnknownEventType(LookupError):
    """A record names an event type that no contract defines."""


class EventRegistry:
    """Maps event type names to their classes, and older schema versions to upcasters."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Event]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, cls: type[Event]) -> None:
        known = self._classes.get(cls.event_type)
        same = known is not None and (known.__module__, known.__qualname__) == (
            cls.__module__,
            cls.__qualname__,
        )
        if known is not None and not same:
            raise TypeError(
                f"event type {cls.event_type!r} defined twice: {known.__module__} and "
                f"{cls.__module__}"
            )
        self._classes[cls.event_type] = cls

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function turning the data of `from_version` into `from_version + 1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def get(self, event_type: str) -> type[Event]:
        try:
            return self._classes[event_type]
        except KeyError:
            raise UnknownEventType(f"no contract defines event type {event_type!r}") from None

    def __iter__(self) -> Any:
        return iter(sorted(self._classes.values(), key=lambda c: (c.service, c.event_type)))

    def contract_events(self) -> list[type[Event]]:
        """The events defined in the contracts package (tests may register others)."""
        return [c for c in self if c.__module__.startswith("convive.contracts.")]

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._classes

    def load(self, event_type: str, schema_version: int, data: dict[str, Any]) -> Event:
        """Build the current class from stored data, upcasting older versions step by step."""
        cls = self.get(event_type)
        if schema_version > cls.schema_version:
            raise ValueError(
                f"{event_type} v{schema_version} is newer than this code knows "
                f"(v{cls.schema_version})"
            )
        version = schema_version
        while version < cls.schema_version:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise LookupError(f"no upcaster for {event_type} from v{version}")
            data = step(data)
            version += 1
        return cls.model_validate(data)


registry = EventRegistry()
