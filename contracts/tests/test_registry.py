"""The event base and the registry: registration on definition, lookup, upcasting of older
versions, forward compatibility and immutability.

The event classes here are test-only; their `event_type` names start with `TestOnly` so they
cannot collide with real contracts (and `contract_events()` leaves them out)."""

from __future__ import annotations

import types
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from convive.contracts import Event, EventRegistry, Money, registry
from convive.contracts.base import UnknownEventType
from convive.contracts.ordering import CartItemAdded
from convive.contracts.schemas import contract_events


class TestOnlyThingHappened(Event):
    """v1: {id, qty}; v2: {thing_id, qty}; v3: {thing_id, quantity, label}."""

    __test__ = False  # not a pytest test class
    service: ClassVar[str] = "ordering"
    schema_version: ClassVar[int] = 3

    thing_id: str
    quantity: int
    label: str


@registry.upcaster("TestOnlyThingHappened", 1)
def _thing_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["thing_id"] = data.pop("id")
    return data


@registry.upcaster("TestOnlyThingHappened", 2)
def _thing_v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["quantity"] = data.pop("qty")
    data.setdefault("label", "unlabelled")
    return data


class TestOnlyGapHappened(Event):
    """v3, but only the v2 → v3 upcaster exists."""

    __test__ = False
    service: ClassVar[str] = "ordering"
    schema_version: ClassVar[int] = 3

    value: int


@registry.upcaster("TestOnlyGapHappened", 2)
def _gap_v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {"value": data["old_value"]}


class TestOnlyRenamed(Event):
    __test__ = False
    service: ClassVar[str] = "table-session"
    event_type: ClassVar[str] = "TestOnlyExplicitlyNamed"

    spot_id: str


# --- registration ----------------------------------------------------------------------------


def test_classes_register_on_definition() -> None:
    assert "TestOnlyThingHappened" in registry
    assert registry.get("TestOnlyThingHappened") is TestOnlyThingHappened
    assert registry.get("CartItemAdded") is CartItemAdded


def test_event_type_defaults_to_class_name() -> None:
    assert TestOnlyThingHappened.event_type == "TestOnlyThingHappened"
    assert CartItemAdded.event_type == "CartItemAdded"


def test_explicit_event_type_is_used() -> None:
    assert TestOnlyRenamed.event_type == "TestOnlyExplicitlyNamed"
    assert registry.get("TestOnlyExplicitlyNamed") is TestOnlyRenamed
    assert "TestOnlyRenamed" not in registry


def test_schema_version_defaults_to_1() -> None:
    assert TestOnlyRenamed.schema_version == 1


def test_registry_iterates_sorted_by_service_then_type() -> None:
    classes = list(registry)
    assert classes == sorted(classes, key=lambda c: (c.service, c.event_type))
    assert TestOnlyThingHappened in classes
    assert CartItemAdded in classes


def test_test_events_are_not_contract_events() -> None:
    contracts = contract_events()
    assert CartItemAdded in contracts
    assert TestOnlyThingHappened not in contracts
    assert all(c.__module__.startswith("convive.contracts.") for c in contracts)


def test_unknown_type_raises_unknown_event_type() -> None:
    with pytest.raises(UnknownEventType, match="TestOnlyNeverDefined"):
        registry.get("TestOnlyNeverDefined")
    with pytest.raises(UnknownEventType, match="TestOnlyNeverDefined"):
        registry.load("TestOnlyNeverDefined", 1, {})
    assert issubclass(UnknownEventType, LookupError)
    assert "TestOnlyNeverDefined" not in registry


def test_same_event_type_in_another_qualname_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"TestOnlyThingHappened.*defined twice"):

        class TestOnlyThingHappened(Event):  # same name, but qualname has <locals>
            service: ClassVar[str] = "ordering"

    assert registry.get("TestOnlyThingHappened").__qualname__ == "TestOnlyThingHappened"


def test_same_explicit_event_type_on_another_class_is_rejected() -> None:
    with pytest.raises(TypeError, match="defined twice"):

        class Other(Event):
            service: ClassVar[str] = "ordering"
            event_type: ClassVar[str] = "TestOnlyThingHappened"

    assert registry.get("TestOnlyThingHappened") is TestOnlyThingHappened


def _define_in_module(module_name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(module_name)
    exec(source, module.__dict__)  # noqa: S102  (test-only code defined right here)
    return module


def test_same_event_type_in_another_module_is_rejected() -> None:
    source = (
        "from typing import ClassVar\n"
        "from convive.contracts import Event\n"
        "class TestOnlyThingHappened(Event):\n"
        "    service: ClassVar[str] = 'ordering'\n"
    )
    with pytest.raises(TypeError, match=r"defined twice.*test_only_other_module"):
        _define_in_module("test_only_other_module", source)
    assert registry.get("TestOnlyThingHappened") is TestOnlyThingHappened


def test_redefining_the_same_class_replaces_it() -> None:
    # A module reloaded (same module and qualname) is not a second definition.
    source = (
        "from typing import ClassVar\n"
        "from convive.contracts import Event\n"
        "class TestOnlyReloaded(Event):\n"
        "    service: ClassVar[str] = 'crm'\n"
    )
    first = _define_in_module("test_only_reloaded", source)
    second = _define_in_module("test_only_reloaded", source)
    assert registry.get("TestOnlyReloaded") is second.TestOnlyReloaded
    assert first.TestOnlyReloaded is not second.TestOnlyReloaded


def test_unknown_service_is_rejected() -> None:
    with pytest.raises(TypeError, match="unknown service 'billing'"):

        class TestOnlyBilled(Event):
            service: ClassVar[str] = "billing"

    assert "TestOnlyBilled" not in registry


def test_missing_service_is_rejected() -> None:
    with pytest.raises(TypeError, match="must name its owning service"):

        class TestOnlyOwnerless(Event):
            pass

    assert "TestOnlyOwnerless" not in registry


# --- loading and upcasting -------------------------------------------------------------------


def test_load_current_version_without_upcasting() -> None:
    event = registry.load(
        "TestOnlyThingHappened", 3, {"thing_id": "t", "quantity": 2, "label": "x"}
    )
    assert event == TestOnlyThingHappened(thing_id="t", quantity=2, label="x")


def test_load_upcasts_v2_to_v3() -> None:
    event = registry.load("TestOnlyThingHappened", 2, {"thing_id": "t", "qty": 2})
    assert event == TestOnlyThingHappened(thing_id="t", quantity=2, label="unlabelled")


def test_load_upcasts_v1_through_v2_to_v3() -> None:
    data = {"id": "t", "qty": 5}
    event = registry.load("TestOnlyThingHappened", 1, data)
    assert isinstance(event, TestOnlyThingHappened)
    assert event == TestOnlyThingHappened(thing_id="t", quantity=5, label="unlabelled")
    assert data == {"id": "t", "qty": 5}  # the stored data is not touched


def test_missing_upcaster_names_the_version() -> None:
    assert registry.load("TestOnlyGapHappened", 2, {"old_value": 4}) == TestOnlyGapHappened(value=4)
    with pytest.raises(LookupError, match="TestOnlyGapHappened from v1"):
        registry.load("TestOnlyGapHappened", 1, {"old_value": 4})


def test_version_newer_than_the_code_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"v4 is newer.*\(v3\)"):
        registry.load("TestOnlyThingHappened", 4, {"thing_id": "t", "quantity": 1, "label": ""})


def test_upcasters_are_per_registry() -> None:
    fresh = EventRegistry()
    fresh.register(TestOnlyThingHappened)
    with pytest.raises(LookupError, match="from v1"):
        fresh.load("TestOnlyThingHappened", 1, {"id": "t", "qty": 1})
    with pytest.raises(UnknownEventType):
        fresh.get("CartItemAdded")


def test_loaded_data_is_validated() -> None:
    with pytest.raises(ValidationError):
        registry.load("TestOnlyThingHappened", 3, {"thing_id": "t", "quantity": "many"})


# --- forward compatibility and immutability --------------------------------------------------


def test_unknown_fields_are_ignored() -> None:
    data = {"thing_id": "t", "quantity": 1, "label": "x", "added_in_v4": True}
    event = registry.load("TestOnlyThingHappened", 3, data)
    assert event == TestOnlyThingHappened(thing_id="t", quantity=1, label="x")
    assert "added_in_v4" not in event.model_dump()


def test_unknown_fields_are_ignored_by_real_contracts() -> None:
    data = {
        "session_id": "s",
        "venue_id": "v",
        "line_id": "l",
        "guest_id": "g",
        "product_id": "p",
        "quantity": 1,
        "unit_price": {"amount_minor": 100, "currency": "EUR"},
        "table_colour": "blue",
    }
    event = registry.load("CartItemAdded", 1, data)
    assert isinstance(event, CartItemAdded)
    assert not hasattr(event, "table_colour")


def test_events_are_frozen() -> None:
    event = TestOnlyThingHappened(thing_id="t", quantity=1, label="x")
    with pytest.raises(ValidationError, match="frozen"):
        event.quantity = 2  # type: ignore[misc]
    assert event.quantity == 1


def test_money_is_frozen_and_checks_currency() -> None:
    money = Money(amount_minor=100, currency="EUR")
    with pytest.raises(ValidationError):
        money.amount_minor = 5  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Money(amount_minor=100, currency="eur")
