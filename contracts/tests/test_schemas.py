"""JSON Schema export, the event catalogue and the compatibility check.

The first test is the guard that fails when someone changes an event without running
`convive-contracts export`."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from convive.contracts import Event, Money, schemas
from convive.contracts import notifier as nt
from convive.contracts import ordering as od
from convive.contracts import pos_gateway as pg
from convive.contracts import table_session as ts
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import CartItemAdded
from convive.contracts.pos_gateway import OrderValidated, PaymentMethod, PaymentSettled
from convive.contracts.schemas import (
    SCHEMA_DIR,
    broken_releases,
    catalogue,
    contract_events,
    expected_files,
    export,
    incompatibilities,
    released_versions,
    render,
    schema_of,
    schema_path,
    stale,
)
from convive.contracts.table_session import TableScanned

TEXT = LocalizedText(fr="Croque-monsieur", en="Croque-monsieur")
LINE = od.OrderLine(
    line_id="l-1",
    product_id="p-1",
    name=TEXT,
    quantity=2,
    unit_price=Money(amount_minor=1250, currency="EUR"),
    guest_id="g-1",
)

# One real instance of every contract event. A new event needs one here (see the test below).
SAMPLES: dict[type[Event], Event] = {
    CartItemAdded: CartItemAdded(
        session_id="s-1",
        venue_id="v-1",
        line_id="l-1",
        guest_id="g-1",
        product_id="p-1",
        quantity=2,
        unit_price=Money(amount_minor=1250, currency="EUR"),
    ),
    OrderValidated: OrderValidated(
        venue_id="v-1", order_id="o-1", round_number=1, device_id="pos-1", validated_by="u-1"
    ),
    PaymentSettled: PaymentSettled(
        venue_id="v-1",
        order_id="o-1",
        session_id="s-1",
        amount=Money(amount_minor=2500, currency="EUR"),
        method=PaymentMethod.CARD,
        payment_card_token="tok_123",  # noqa: S106  (a provider token, not a secret)
    ),
    TableScanned: TableScanned(venue_id="v-1", spot_id="t-12", device_id="d-9"),
    ts.ProfitCentreConfigured: ts.ProfitCentreConfigured(
        venue_id="v-1", profit_centre_id="pc-1", name="Terrasse", mode=ts.JourneyMode.ORDER
    ),
    ts.SpotCreated: ts.SpotCreated(
        venue_id="v-1", profit_centre_id="pc-1", spot_id="t-12", name="Table 12", kind="table"
    ),
    ts.QrTokenIssued: ts.QrTokenIssued(venue_id="v-1", spot_id="t-12", token="Zq3…x"),  # noqa: S106
    ts.SessionOpened: ts.SessionOpened(
        venue_id="v-1",
        profit_centre_id="pc-1",
        spot_id="t-12",
        session_id="s-1",
        host_guest_id="g-1",
        pin="042917",
    ),
    ts.GuestJoined: ts.GuestJoined(
        venue_id="v-1", spot_id="t-12", session_id="s-1", guest_id="g-2", device_id="d-2"
    ),
    ts.SessionClosed: ts.SessionClosed(
        venue_id="v-1", spot_id="t-12", session_id="s-1", reason="settled"
    ),
    ts.SpotReleased: ts.SpotReleased(venue_id="v-1", spot_id="t-12", session_id="s-1"),
    od.MenuPublished: od.MenuPublished(
        venue_id="v-1",
        currency="EUR",
        categories=[od.MenuCategory(category_id="c-1", name=TEXT, position=1)],
        products=[
            od.MenuProduct(
                product_id="p-1",
                category_id="c-1",
                name=TEXT,
                price=Money(amount_minor=1250, currency="EUR"),
                allergens=["gluten", "milk"],
            )
        ],
    ),
    od.CartItemChanged: od.CartItemChanged(
        session_id="s-1", venue_id="v-1", line_id="l-1", guest_id="g-1", quantity=3
    ),
    od.CartItemRemoved: od.CartItemRemoved(
        session_id="s-1", venue_id="v-1", line_id="l-1", guest_id="g-1"
    ),
    od.OrderPlaced: od.OrderPlaced(
        order_id="o-1",
        session_id="s-1",
        venue_id="v-1",
        spot_id="t-12",
        placed_by="g-1",
        round_number=1,
        lines=[LINE],
        round_total=Money(amount_minor=2500, currency="EUR"),
        order_total=Money(amount_minor=2500, currency="EUR"),
    ),
    od.RoundAdded: od.RoundAdded(
        order_id="o-1",
        session_id="s-1",
        venue_id="v-1",
        spot_id="t-12",
        placed_by="g-2",
        round_number=2,
        lines=[LINE],
        round_total=Money(amount_minor=2500, currency="EUR"),
        order_total=Money(amount_minor=5000, currency="EUR"),
    ),
    od.SentToProduction: od.SentToProduction(
        order_id="o-1", session_id="s-1", venue_id="v-1", round_number=1
    ),
    od.OrderClosed: od.OrderClosed(order_id="o-1", session_id="s-1", venue_id="v-1"),
    ts.JoinRefused: ts.JoinRefused(
        venue_id="v-1",
        spot_id="t-12",
        session_id="s-1",
        device_id="d-3",
        reason=ts.JoinRefusal.WRONG_PIN,
    ),
    ts.PinRotated: ts.PinRotated(
        venue_id="v-1", spot_id="t-12", session_id="s-1", pin="731204", reason="staff"
    ),
    pg.OnlinePaymentStarted: pg.OnlinePaymentStarted(
        venue_id="v-1",
        order_id="o-1",
        session_id="s-1",
        payment_id="pay-1",
        amount=Money(amount_minor=2500, currency="EUR"),
        provider="sandbox",
        guest_id="g-1",
    ),
    pg.OnlinePaymentFailed: pg.OnlinePaymentFailed(
        venue_id="v-1", order_id="o-1", session_id="s-1", payment_id="pay-1", reason="declined"
    ),
    pg.DevicePaired: pg.DevicePaired(
        venue_id="v-1", device_id="pos-1", name="Bar till", credential_sha256="0" * 64
    ),
    ts.VenueConfigured: ts.VenueConfigured(
        venue_id="v-1",
        name="Hôtel du Port",
        notification_email="concierge@hotel.example",
        pms_integration=ts.PmsIntegration.TWO_WAY,
    ),
    od.OfferPublished: od.OfferPublished(
        venue_id="v-1",
        offer_id="late-checkout",
        name=LocalizedText(fr="Départ tardif", en="Late check-out"),
        offer_type=od.OfferType.OFFER,
        price=Money(amount_minor=3000, currency="EUR"),
        auto_confirm=True,
    ),
    od.OfferOrdered: od.OfferOrdered(
        venue_id="v-1",
        offer_order_id="oo-1",
        offer_id="late-checkout",
        offer_name=LocalizedText(fr="Départ tardif", en="Late check-out"),
        offer_type=od.OfferType.OFFER,
        price=Money(amount_minor=3000, currency="EUR"),
        spot_id="r-112",
        spot_name="Room 112",
        guest_id="g-1",
        guest_name="Ada Lovelace",
        guest_email="ada@example.org",
        language="en",
    ),
    od.OfferConfirmed: od.OfferConfirmed(venue_id="v-1", offer_order_id="oo-1", automatic=True),
    od.OfferCancelled: od.OfferCancelled(
        venue_id="v-1", offer_order_id="oo-1", cancelled_by="staff-1", reason="fully booked"
    ),
    pg.DeviceRevoked: pg.DeviceRevoked(venue_id="v-1", device_id="pos-1", revoked_by="staff-1"),
    pg.StaffAccountOpened: pg.StaffAccountOpened(
        staff_id="staff-1",
        email="manager@hotel.example",
        name="Marie",
        role=pg.StaffRole.MANAGER,
        venue_ids=["v-1"],
    ),
    pg.StaffAccountClosed: pg.StaffAccountClosed(staff_id="staff-2", closed_by="staff-1"),
    pg.OrderAmended: pg.OrderAmended(
        venue_id="v-1",
        order_id="o-1",
        session_id="s-1",
        round_number=1,
        lines=[LINE],
        round_total=Money(amount_minor=2500, currency="EUR"),
        device_id="pos-1",
        amended_by="Marie",
        note="no more croque-madame",
    ),
    pg.OrderRejected: pg.OrderRejected(
        venue_id="v-1",
        order_id="o-1",
        session_id="s-1",
        round_number=2,
        reason="the kitchen is closed",
        device_id="pos-1",
        rejected_by="Marie",
    ),
    pg.FolioPosted: pg.FolioPosted(
        venue_id="v-1",
        offer_order_id="oo-1",
        amount=Money(amount_minor=3000, currency="EUR"),
        method=pg.FolioPostingMethod.AUTOMATIC,
        pms_reference="F-123",
        attempts=2,
    ),
    pg.FolioPostingFailed: pg.FolioPostingFailed(
        venue_id="v-1", offer_order_id="oo-1", attempt=1, error="PMS answered 503"
    ),
    nt.NotificationSent: nt.NotificationSent(
        notification_id="n-1",
        venue_id="v-1",
        channel=nt.Channel.EMAIL,
        template="offer_received",
        language="en",
        recipient_role=nt.RecipientRole.GUEST,
        cause_event_id="e-1",
        attempts=1,
    ),
    nt.NotificationFailed: nt.NotificationFailed(
        notification_id="n-1",
        venue_id="v-1",
        channel=nt.Channel.EMAIL,
        template="offer_received",
        recipient_role=nt.RecipientRole.GUEST,
        cause_event_id="e-1",
        attempt=1,
        error="connection refused",
        will_retry=True,
    ),
}


def committed_schema(cls: type[Event]) -> dict[str, Any]:
    return json.loads(schema_path(cls).read_text())


def names(classes: list[type[Event]]) -> list[str]:
    return [c.event_type for c in classes]


# --- (1) the committed files equal what the code generates -----------------------------------


def test_committed_schemas_and_catalogue_match_the_code() -> None:
    assert stale() == [], "run `uv run convive-contracts export` and commit the result"


def test_committed_schemas_do_not_break_their_released_versions() -> None:
    assert broken_releases() == []


def test_check_command_passes_on_the_real_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert schemas.main(["check"]) == 0
    assert "event schemas checked: ok" in capsys.readouterr().out


def test_every_contract_event_has_a_committed_schema_file() -> None:
    for cls in contract_events():
        path = schema_path(cls)
        assert path.is_file(), path
        assert path.parent.name == cls.service
        assert path.name == f"{cls.event_type}.v{cls.schema_version}.json"


def test_catalogue_lists_every_event_under_its_topic() -> None:
    text = catalogue()
    for cls in contract_events():
        assert f"[{cls.event_type}](../contracts/schemas/{cls.service}/" in text
        assert f"## {cls.service} — `convive.{cls.service}.events`" in text
    assert "`payment_card_token`?" in text  # optional fields are marked
    assert "`venue_id`," in text


# --- (2) every committed schema validates a real instance ------------------------------------


def test_samples_cover_every_contract_event() -> None:
    assert sorted(names(list(SAMPLES))) == sorted(names(contract_events()))


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda c: c.event_type)
def test_committed_schema_describes_the_event(cls: type[Event]) -> None:
    schema = committed_schema(cls)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:convive:event:{cls.service}:{cls.event_type}:v1"
    assert schema["x-convive"] == {
        "service": cls.service,
        "topic": f"convive.{cls.service}.events",
        "type": cls.event_type,
        "schema_version": cls.schema_version,
    }
    assert set(schema["properties"]) == set(cls.model_fields)
    required = {n for n, f in cls.model_fields.items() if f.is_required()}
    assert set(schema["required"]) == required


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda c: c.event_type)
def test_committed_schema_accepts_a_real_instance(cls: type[Event]) -> None:
    validator = Draft202012Validator(committed_schema(cls))
    instance = SAMPLES[cls].model_dump(mode="json")
    errors = [e.message for e in validator.iter_errors(instance)]
    assert errors == []


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda c: c.event_type)
def test_committed_schema_rejects_an_instance_missing_a_required_field(cls: type[Event]) -> None:
    schema = committed_schema(cls)
    validator = Draft202012Validator(schema)
    assert schema["required"]
    for field in schema["required"]:
        instance = SAMPLES[cls].model_dump(mode="json")
        del instance[field]
        assert not validator.is_valid(instance), f"{cls.event_type} without {field}"


def test_schema_checks_nested_definitions() -> None:
    validator = Draft202012Validator(committed_schema(PaymentSettled))
    good = SAMPLES[PaymentSettled].model_dump(mode="json")
    assert validator.is_valid({**good, "payment_card_token": None})
    assert not validator.is_valid({**good, "method": "cheque"})
    assert not validator.is_valid({**good, "amount": {"amount_minor": 1, "currency": "eur"}})
    assert not validator.is_valid({**good, "amount": {"amount_minor": 1.5, "currency": "EUR"}})


def test_schema_checks_constraints() -> None:
    validator = Draft202012Validator(committed_schema(CartItemAdded))
    good = SAMPLES[CartItemAdded].model_dump(mode="json")
    assert not validator.is_valid({**good, "quantity": 0})
    assert not validator.is_valid({**good, "quantity": "2"})


def test_schema_of_is_rendered_stably() -> None:
    text = render(schema_of(CartItemAdded))
    assert text.endswith("}\n")
    assert text == render(json.loads(text))
    assert text == schema_path(CartItemAdded).read_text()


# --- (3) incompatibilities -------------------------------------------------------------------

BASE: dict[str, Any] = {
    "$defs": {
        "Money": {
            "description": "An amount",
            "properties": {
                "amount_minor": {"title": "Amount Minor", "type": "integer"},
                "currency": {"pattern": "^[A-Z]{3}$", "title": "Currency", "type": "string"},
            },
            "required": ["amount_minor", "currency"],
            "title": "Money",
            "type": "object",
        }
    },
    "description": "Something happened.",
    "properties": {
        "venue_id": {"title": "Venue Id", "type": "string"},
        "quantity": {"exclusiveMinimum": 0, "title": "Quantity", "type": "integer"},
        "price": {"$ref": "#/$defs/Money"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
    },
    "required": ["venue_id", "quantity", "price"],
    "title": "SomethingHappened",
    "type": "object",
}


def changed() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def test_identical_schemas_are_compatible() -> None:
    assert incompatibilities(BASE, changed()) == []


def test_adding_an_optional_property_is_compatible() -> None:
    new = changed()
    new["properties"]["table"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert incompatibilities(BASE, new) == []


def test_adding_a_definition_is_compatible() -> None:
    new = changed()
    new["$defs"]["Tip"] = {"type": "object", "properties": {"x": {"type": "integer"}}}
    new["properties"]["tip"] = {"anyOf": [{"$ref": "#/$defs/Tip"}, {"type": "null"}]}
    assert incompatibilities(BASE, new) == []


def test_description_title_and_examples_changes_are_compatible() -> None:
    new = changed()
    new["description"] = "Something else happened."
    new["title"] = "Renamed"
    new["properties"]["venue_id"]["description"] = "the venue"
    new["properties"]["venue_id"]["title"] = "Venue"
    new["properties"]["venue_id"]["examples"] = ["v-1"]
    new["$defs"]["Money"]["description"] = "Cents"
    new["$defs"]["Money"]["properties"]["currency"]["description"] = "ISO 4217"
    assert incompatibilities(BASE, new) == []


def test_making_a_required_property_optional_is_compatible() -> None:
    new = changed()
    new["required"].remove("quantity")
    assert incompatibilities(BASE, new) == []


def test_removing_a_property_is_reported() -> None:
    new = changed()
    del new["properties"]["quantity"]
    new["required"].remove("quantity")
    assert incompatibilities(BASE, new) == ["property 'quantity' was removed"]


def test_changing_a_property_type_is_reported() -> None:
    new = changed()
    new["properties"]["quantity"]["type"] = "string"
    assert incompatibilities(BASE, new) == ["property 'quantity' changed its type or constraints"]


def test_changing_a_property_constraint_is_reported() -> None:
    new = changed()
    new["properties"]["quantity"]["exclusiveMinimum"] = 1
    assert incompatibilities(BASE, new) == ["property 'quantity' changed its type or constraints"]


def test_making_an_optional_property_nullable_only_is_reported() -> None:
    new = changed()
    new["properties"]["note"] = {"type": "string"}
    assert incompatibilities(BASE, new) == ["property 'note' changed its type or constraints"]


def test_making_a_property_required_is_reported() -> None:
    new = changed()
    new["required"].append("note")
    assert incompatibilities(BASE, new) == ["property 'note' became required"]


def test_adding_a_required_property_is_reported() -> None:
    new = changed()
    new["properties"]["guest_id"] = {"type": "string"}
    new["required"].append("guest_id")
    assert incompatibilities(BASE, new) == ["property 'guest_id' became required"]


def test_changing_a_definition_is_reported() -> None:
    new = changed()
    new["$defs"]["Money"]["properties"]["amount_minor"]["type"] = "number"
    assert incompatibilities(BASE, new) == [
        "property 'Money.amount_minor' changed its type or constraints"
    ]


def test_a_definition_may_gain_an_optional_property_but_not_a_required_one() -> None:
    new = changed()
    new["$defs"]["Money"]["properties"]["rounding"] = {"type": "string"}
    assert incompatibilities(BASE, new) == []
    new["$defs"]["Money"]["required"] = [*new["$defs"]["Money"].get("required", []), "rounding"]
    assert incompatibilities(BASE, new) == ["property 'Money.rounding' became required"]


def test_an_enum_definition_that_changes_is_reported() -> None:
    old = changed()
    old["$defs"]["Method"] = {"enum": ["cash", "card"], "type": "string"}
    new = copy.deepcopy(old)
    new["$defs"]["Method"]["enum"].append("voucher")
    assert incompatibilities(old, new) == ["definition 'Method' changed"]


def test_removing_a_definition_is_reported() -> None:
    new = changed()
    new["$defs"]["Cash"] = new["$defs"].pop("Money")
    new["properties"]["price"] = {"$ref": "#/$defs/Cash"}
    assert incompatibilities(BASE, new) == [
        "property 'price' changed its type or constraints",
        "definition 'Money' was removed",
    ]


def test_changing_the_root_type_or_additional_properties_is_reported() -> None:
    new = changed()
    new["additionalProperties"] = False
    assert incompatibilities(BASE, new) == ["additionalProperties changed from None to False"]


def test_every_problem_is_reported_at_once() -> None:
    new = changed()
    del new["properties"]["venue_id"]
    new["properties"]["quantity"]["type"] = "string"
    new["required"].append("note")
    del new["$defs"]["Money"]
    problems = incompatibilities(BASE, new)
    assert len(problems) == 4
    for name in ("venue_id", "quantity", "note", "Money"):
        assert any(repr(name) in p for p in problems), name


def test_nested_property_called_description_or_title_is_not_cosmetic() -> None:
    """BUG: `_strip` drops every key named description/title/examples at any depth, so in a
    nested model (a `$defs` entry) a *property* called `description` or `title` vanishes before
    the comparison: retyping or removing it goes unnoticed."""
    old = changed()
    old["$defs"]["Product"] = {
        "properties": {"description": {"type": "string"}, "title": {"type": "string"}},
        "required": ["description", "title"],
        "type": "object",
    }
    retyped = copy.deepcopy(old)
    retyped["$defs"]["Product"]["properties"]["description"] = {"type": "integer"}
    assert incompatibilities(old, retyped) == [
        "property 'Product.description' changed its type or constraints"
    ]
    removed = copy.deepcopy(old)
    del removed["$defs"]["Product"]["properties"]["title"]
    removed["$defs"]["Product"]["required"] = ["description"]
    assert incompatibilities(old, removed) == ["property 'Product.title' was removed"]


def test_real_schema_is_compatible_with_itself() -> None:
    for cls in contract_events():
        schema = committed_schema(cls)
        assert incompatibilities(schema, schema_of(cls)) == []


# --- (4) export into a temporary root --------------------------------------------------------


def test_export_writes_every_schema(tmp_path: Path) -> None:
    catalogue_before = schemas.CATALOGUE.read_text()
    assert export(root=tmp_path) == []
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    assert written == sorted(p.relative_to(SCHEMA_DIR) for p in expected_files())
    for path, text in expected_files(tmp_path).items():
        assert path.read_text() == text
        assert text == (SCHEMA_DIR / path.relative_to(tmp_path)).read_text()
    assert stale(root=tmp_path) == []
    assert schemas.CATALOGUE.read_text() == catalogue_before  # only the real root writes it


def test_export_is_idempotent(tmp_path: Path) -> None:
    assert export(root=tmp_path) == []
    first = {p: p.read_text() for p in tmp_path.rglob("*.json")}
    assert export(root=tmp_path) == []
    assert {p: p.read_text() for p in tmp_path.rglob("*.json")} == first


def test_export_refuses_to_replace_a_released_schema_incompatibly(tmp_path: Path) -> None:
    path = schema_path(CartItemAdded, tmp_path)
    path.parent.mkdir(parents=True)
    old = schema_of(CartItemAdded)
    old["properties"]["table_id"] = {"title": "Table Id", "type": "string"}
    old_text = render(old)
    path.write_text(old_text)

    problems = export(root=tmp_path)

    assert len(problems) == 1
    assert problems[0].startswith("CartItemAdded.v1.json: incompatible")
    assert "'table_id' was removed" in problems[0]
    assert "raise schema_version" in problems[0]
    assert path.read_text() == old_text  # left unchanged
    # the other schemas were still written
    assert schema_path(TableScanned, tmp_path).read_text() == render(schema_of(TableScanned))
    assert stale(root=tmp_path) == [
        "ordering/CartItemAdded.v1.json differs from the code (run export)"
    ]


def test_export_replaces_a_schema_compatibly(tmp_path: Path) -> None:
    path = schema_path(PaymentSettled, tmp_path)
    path.parent.mkdir(parents=True)
    old = schema_of(PaymentSettled)
    old["description"] = "an outdated description"
    del old["properties"]["payment_card_token"]  # the code added an optional property since
    path.write_text(render(old))

    assert export(root=tmp_path) == []
    assert path.read_text() == render(schema_of(PaymentSettled))


def test_export_refuses_a_new_required_property(tmp_path: Path) -> None:
    path = schema_path(CartItemAdded, tmp_path)
    path.parent.mkdir(parents=True)
    old = schema_of(CartItemAdded)
    del old["properties"]["guest_id"]
    old["required"].remove("guest_id")
    old_text = render(old)
    path.write_text(old_text)

    assert export(root=tmp_path) == [
        "CartItemAdded.v1.json: incompatible with the released schema (property 'guest_id' "
        "became required); raise schema_version and register an upcaster instead"
    ]
    assert path.read_text() == old_text


# --- stale() on a temporary root -------------------------------------------------------------


def test_stale_reports_missing_changed_and_orphan_files(tmp_path: Path) -> None:
    assert export(root=tmp_path) == []
    schema_path(TableScanned, tmp_path).unlink()
    schema_path(OrderValidated, tmp_path).write_text("{}\n")
    (tmp_path / "ordering" / "TestOnlyGone.v1.json").write_text("{}\n")
    (tmp_path / "ordering" / "CartItemAdded.v2.json").write_text("{}\n")
    (tmp_path / "ordering" / "CartItemAdded.v0.json").write_text("{}\n")  # older: may stay

    assert stale(root=tmp_path) == [
        "pos-gateway/OrderValidated.v1.json differs from the code (run export)",
        "table-session/TableScanned.v1.json is missing (run convive-contracts export)",
        "ordering/CartItemAdded.v2.json has no event in the code",
        "ordering/TestOnlyGone.v1.json has no event in the code",
    ]


def test_stale_reports_a_catalogue_out_of_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "event-catalogue.md"
    monkeypatch.setattr(schemas, "CATALOGUE", fake)
    assert stale() == ["docs/event-catalogue.md differs from the code (run export)"]
    fake.write_text(catalogue().replace("TableScanned", "TableTapped"))
    assert stale() == ["docs/event-catalogue.md differs from the code (run export)"]
    fake.write_text(catalogue())
    assert stale() == []


def test_stale_on_an_empty_root_reports_every_event_missing(tmp_path: Path) -> None:
    problems = stale(root=tmp_path)
    assert len(problems) == len(contract_events())
    assert all("is missing" in p for p in problems)


# --- (5) broken_releases against git history -------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=Contract Tests",
            "-c",
            "user.email=tests@convive.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def temp_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository laid out like the real one; `schemas` looks at it instead."""
    git(tmp_path, "init", "-q")
    package_root = tmp_path / "contracts"
    (package_root / "schemas" / "ordering").mkdir(parents=True)
    monkeypatch.setattr(schemas, "PACKAGE_ROOT", package_root)
    return tmp_path


def write_schema(repo: Path, schema: dict[str, Any], name: str = "X.v1.json") -> Path:
    path = repo / "contracts" / "schemas" / "ordering" / name
    path.write_text(render(schema))
    return path


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def test_released_versions_lists_every_commit_newest_first(temp_repo: Path) -> None:
    v1 = changed()
    path = write_schema(temp_repo, v1)
    first = commit(temp_repo, "release X")
    v1b = changed()
    v1b["description"] = "reworded"
    write_schema(temp_repo, v1b)
    second = commit(temp_repo, "reword X")

    assert list(released_versions(path)) == [(second, v1b), (first, v1)]


def test_released_versions_skips_the_commit_that_deleted_the_file(temp_repo: Path) -> None:
    path = write_schema(temp_repo, BASE)
    first = commit(temp_repo, "release X")
    path.unlink()
    commit(temp_repo, "delete X")
    write_schema(temp_repo, BASE)
    assert list(released_versions(path)) == [(first, BASE)]


def test_uncommitted_schema_has_no_release(temp_repo: Path) -> None:
    (temp_repo / "README.md").write_text("other history\n")
    commit(temp_repo, "unrelated")
    path = write_schema(temp_repo, BASE)
    assert list(released_versions(path)) == []
    assert broken_releases(root=temp_repo / "contracts" / "schemas") == []


def test_compatible_work_tree_change_is_not_broken(temp_repo: Path) -> None:
    write_schema(temp_repo, BASE)
    commit(temp_repo, "release X")
    new = changed()
    new["description"] = "reworded"
    new["properties"]["table"] = {"type": "string"}
    write_schema(temp_repo, new)
    assert broken_releases(root=temp_repo / "contracts" / "schemas") == []


def test_incompatible_work_tree_change_names_the_commit(temp_repo: Path) -> None:
    write_schema(temp_repo, BASE)
    released = commit(temp_repo, "release X")
    new = changed()
    del new["properties"]["venue_id"]
    new["required"].remove("venue_id")
    write_schema(temp_repo, new)

    assert broken_releases(root=temp_repo / "contracts" / "schemas") == [
        f"ordering/X.v1.json breaks the version released in {released[:10]}: "
        "property 'venue_id' was removed"
    ]


def test_break_committed_later_still_names_the_older_release(temp_repo: Path) -> None:
    write_schema(temp_repo, BASE)
    released = commit(temp_repo, "release X")
    new = changed()
    new["properties"]["quantity"]["type"] = "string"
    write_schema(temp_repo, new)
    commit(temp_repo, "break X")  # the break itself is committed now

    problems = broken_releases(root=temp_repo / "contracts" / "schemas")

    assert problems == [
        f"ordering/X.v1.json breaks the version released in {released[:10]}: "
        "property 'quantity' changed its type or constraints"
    ]


def test_each_broken_file_is_reported_once_against_its_newest_break(temp_repo: Path) -> None:
    write_schema(temp_repo, BASE)
    commit(temp_repo, "release X")
    reworded = changed()
    reworded["description"] = "reworded"
    write_schema(temp_repo, reworded)
    newest = commit(temp_repo, "reword X")
    new = changed()
    del new["properties"]["note"]
    write_schema(temp_repo, new)

    assert broken_releases(root=temp_repo / "contracts" / "schemas") == [
        f"ordering/X.v1.json breaks the version released in {newest[:10]}: "
        "property 'note' was removed"
    ]


def test_only_broken_files_are_reported(temp_repo: Path) -> None:
    write_schema(temp_repo, BASE, "X.v1.json")
    write_schema(temp_repo, BASE, "Y.v1.json")
    commit(temp_repo, "release X and Y")
    new = changed()
    new["required"].append("note")
    write_schema(temp_repo, new, "Y.v1.json")

    problems = broken_releases(root=temp_repo / "contracts" / "schemas")

    assert len(problems) == 1
    assert problems[0].startswith("ordering/Y.v1.json breaks the version released in ")
    assert problems[0].endswith("property 'note' became required")
