"""The gateway's clients of the services held to the services themselves, so that drift fails
here rather than in a guest's page:

- every route a client calls is one of its service's (method and path in the OpenAPI document
  of the service's app, built in-process), and so is every route a unit-test stand-in answers;
- where a service documents an answer's fields, the gateway's model of it agrees (names,
  required-ness, JSON types);
- against the real services (served in-process on real PostgreSQL and Kafka), every answer a
  client reads is read into its model, and every field of every model is one the service
  really sends (a field renamed on one side is caught even where the document says nothing
  about the answer's fields).
"""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from types import UnionType
from typing import Any, Union, get_args, get_origin

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from convive.contracts.base import LocalizedText, Money
from convive.gateway.settings import Settings
from convive.gateway.upstream import Services, notifier, ordering, pos_gateway, table_session
from convive.gateway.upstream.http import Route, UpstreamError
from convive.runtime.pytest_plugin import temporary_schema
from convive.runtime.testkit import eventually, served

PASSWORD = "a long enough password"  # noqa: S105 (the test's own)
CLIENTS: dict[str, list[Route[Any]]] = {
    "table-session": table_session.ROUTES,
    "ordering": ordering.ROUTES,
    "pos-gateway": pos_gateway.ROUTES,
    "notifier": notifier.ROUTES,
}
METHODS = ("get", "put", "post", "patch", "delete")


# --- the services' OpenAPI documents -----------------------------------------------------------


def test_every_route_the_gateway_calls_is_one_of_its_services(
    openapi_documents: dict[str, dict[str, Any]],
) -> None:
    missing = [
        f"{service}: {r.method} {r.template}"
        for service, routes in CLIENTS.items()
        for r in routes
        if r.method.lower() not in openapi_documents[service]["paths"].get(r.template, {})
    ]
    assert missing == []


def test_every_route_a_stand_in_answers_is_one_of_its_services(
    openapi_documents: dict[str, dict[str, Any]],
    stand_in_routes: dict[str, list[tuple[str, str]]],
) -> None:
    missing = [
        f"{service}: {method} {template}"
        for service, routes in stand_in_routes.items()
        for method, template in routes
        if method.lower() not in openapi_documents[service]["paths"].get(template, {})
    ]
    assert missing == []


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        *_, section, name = schema["$ref"].split("/")
        schema = document["components"][section][name]
    return schema


def _object(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The object schema an answer (or each item of a list answer) follows."""
    schema = _resolve(schema, document)
    if schema.get("type") == "array":
        return _object(schema.get("items", {}), document)
    for choice in schema.get("anyOf") or schema.get("oneOf") or []:
        if _resolve(choice, document).get("type") != "null":
            return _object(choice, document)
    return schema


def _types(schema: dict[str, Any], document: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows (a `$ref` is an object)."""
    if "$ref" in schema:
        return _types(_resolve(schema, document), document) or {"object"}
    if "anyOf" in schema or "oneOf" in schema:
        return {t for s in schema.get("anyOf") or schema["oneOf"] for t in _types(s, document)}
    kind = schema.get("type")
    if kind is None:
        return {"object"} if "properties" in schema else set()
    kinds = set(kind) if isinstance(kind, list) else {kind}
    return {"number" if k == "integer" else k for k in kinds}


def disagreements(model: Any, answer: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Where the gateway's model of an answer and the service's schema of it disagree; nothing
    to compare when the service does not document the answer's fields."""
    found = _object(answer, document)
    if "properties" not in found:
        return []
    mine = TypeAdapter(model).json_schema(ref_template="#/$defs/{model}")
    own = {"components": {"$defs": mine.get("$defs", {})}}
    mine = _object({k: v for k, v in mine.items() if k != "$defs"}, own)
    wrong = []
    for name, field in mine.get("properties", {}).items():
        theirs = found["properties"].get(name)
        if theirs is None:
            wrong.append(f"{name}: not in the service's answer")
            continue
        if name in mine.get("required", []) and name not in found.get("required", []):
            wrong.append(f"{name}: required by the gateway, optional in the service")
        readable = _types(field, own)
        sent = _types(theirs, document)
        if readable and sent and not sent <= readable:
            wrong.append(
                f"{name}: the service sends {sorted(sent)}, the gateway reads {sorted(readable)}"
            )
    return wrong


def test_the_answers_the_gateway_reads_agree_with_what_the_services_document(
    openapi_documents: dict[str, dict[str, Any]],
) -> None:
    wrong: dict[str, list[str]] = {}
    for service, routes in CLIENTS.items():
        document = openapi_documents[service]
        for r in routes:
            if r.answer is None:
                continue
            operation = document["paths"][r.template][r.method.lower()]
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                schema = (response.get("content") or {}).get("application/json", {}).get("schema")
                if schema is not None and (found := disagreements(r.answer, schema, document)):
                    wrong[f"{service} {r.method} {r.template}"] = found
    assert wrong == {}


def test_a_model_that_disagrees_with_a_documented_answer_is_caught() -> None:
    """The comparison itself: a documented answer whose field the model names otherwise, makes
    optional, or types otherwise."""

    class Spot(BaseModel):
        spot_id: str
        seats: int
        name: str

    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "SpotOut": {
                    "type": "object",
                    "properties": {
                        "spot_id": {"type": "string"},
                        "seats": {"type": ["string", "null"]},
                        "label": {"type": "string"},
                    },
                    "required": ["spot_id"],
                }
            }
        }
    }
    answer = {"type": "array", "items": {"$ref": "#/components/schemas/SpotOut"}}
    assert disagreements(list[Spot], answer, document) == [
        "seats: required by the gateway, optional in the service",
        "seats: the service sends ['null', 'string'], the gateway reads ['number']",
        "name: not in the service's answer",
    ]
    assert disagreements(Spot, {"type": "object", "additionalProperties": {}}, document) == []


# --- the real services -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def real_services(
    database_url: str, kafka_bootstrap: str, namespace: str
) -> AsyncIterator[dict[str, str]]:
    """table-session, ordering, pos-gateway and the notifier served for real (each in a schema
    of its own, on one topic namespace), with the payment provider's test double."""
    from convive.doubles.payment_provider import SandboxSettings
    from convive.doubles.payment_provider import create_app as payment_sandbox
    from convive.notifier.app import create_app as notifier_app
    from convive.notifier.settings import Settings as NotifierSettings
    from convive.ordering.app import create_app as ordering_app
    from convive.ordering.settings import Settings as OrderingSettings
    from convive.pos_gateway.app import create_app as pos_gateway_app
    from convive.pos_gateway.settings import Settings as PosGatewaySettings
    from convive.table_session.app import create_app as table_session_app
    from convive.table_session.settings import Settings as TableSessionSettings

    def common(schema: str) -> dict[str, Any]:
        return {
            "database_url": database_url,
            "kafka_bootstrap": kafka_bootstrap,
            "db_schema": schema,
            "topic_namespace": namespace,
            "outbox_poll_interval": 1.0,
        }

    async with contextlib.AsyncExitStack() as stack:
        schemas = {
            name: await stack.enter_async_context(temporary_schema(database_url, namespace + name))
            for name in ("ts", "ord", "pos", "ntf")
        }
        sandbox = await stack.enter_async_context(served(payment_sandbox(SandboxSettings())))
        urls = {
            "table-session": await stack.enter_async_context(
                served(table_session_app(TableSessionSettings(**common(schemas["ts"]))))
            ),
            "ordering": await stack.enter_async_context(
                served(ordering_app(OrderingSettings(**common(schemas["ord"]))))
            ),
            "pos-gateway": await stack.enter_async_context(
                served(
                    pos_gateway_app(
                        PosGatewaySettings(**common(schemas["pos"]), payment_provider_url=sandbox)
                    )
                )
            ),
            "notifier": await stack.enter_async_context(
                served(notifier_app(NotifierSettings(**common(schemas["ntf"]))))
            ),
        }
        yield urls


MENU = ordering.MenuIn.model_validate(
    {
        "currency": "EUR",
        "categories": [{"category_id": "mains", "name": {"fr": "Plats", "en": "Mains"}}],
        "products": [
            {
                "product_id": "croque",
                "category_id": "mains",
                "name": {"fr": "Croque", "en": "Croque"},
                "price": {"amount_minor": 1250, "currency": "EUR"},
                "station": "kitchen",
                "options": [
                    {
                        "group_id": "side",
                        "name": {"fr": "Accompagnement", "en": "Side"},
                        "choices": [
                            {
                                "choice_id": "salad",
                                "name": {"fr": "Salade", "en": "Salad"},
                                "price_delta": {"amount_minor": 0, "currency": "EUR"},
                            }
                        ],
                    }
                ],
            }
        ],
    }
)

NOT_YET_SENT = {
    # table-session answers the venue's time zone once its settings carry one (VenueConfigured
    # gained it); until then the gateway reads its default, Europe/Paris.
    ("table-session", "VenueSettings", "time_zone"),
}


@pytest.mark.infra
async def test_the_gateway_reads_every_answer_of_the_real_services(
    database_url: str, kafka_bootstrap: str, service_settings: dict[str, Any], namespace: str
) -> None:
    seen: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    venue = f"venue-{uuid.uuid4().hex[:6]}"
    async with real_services(database_url, kafka_bootstrap, namespace) as urls:
        settings = Settings(
            table_session_url=urls["table-session"],
            ordering_url=urls["ordering"],
            pos_gateway_url=urls["pos-gateway"],
            notifier_url=urls["notifier"],
        )
        services = Services(settings)
        for name, client in (
            ("table-session", services.table_session),
            ("ordering", services.ordering),
            ("pos-gateway", services.pos),
            ("notifier", services.notifier),
        ):
            client.seen = lambda route, answer, name=name: seen[
                (name, route.method, route.template)
            ].append(answer)
        try:
            await play_a_day(services, urls, venue)
        finally:
            await services.aclose()

    called = {route for route in seen}
    expected = {
        (service, r.method, r.template)
        for service, routes in CLIENTS.items()
        for r in routes
        if r.answer is not None
    }
    assert expected - called == set(), "the scenario should read every answer the gateway reads"
    never_sent = []
    for service, routes in CLIENTS.items():
        for r in routes:
            if r.answer is None:
                continue
            for model, answers in models_in(r.answer, seen[(service, r.method, r.template)]):
                for name in model.model_fields:
                    if (service, model.__name__, name) in NOT_YET_SENT:
                        continue
                    if not any(isinstance(a, dict) and name in a for a in answers):
                        never_sent.append(f"{service} {r.template}: {model.__name__}.{name}")
    assert never_sent == [], "fields the gateway reads that its service never sent:\n" + "\n".join(
        never_sent
    )


def models_in(model: Any, answers: list[Any]) -> list[tuple[type[BaseModel], list[Any]]]:
    """Each of the gateway's models within an answer's type, with the JSON objects read into it
    (the contracts' own models are the contracts' tests' business)."""
    if get_origin(model) is list:
        (item,) = get_args(model)
        return models_in(item, [x for a in answers if isinstance(a, list) for x in a])
    if get_origin(model) in (Union, UnionType):
        return [found for arg in get_args(model) for found in models_in(arg, answers)]
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    if not model.__module__.startswith("convive.gateway"):
        return []
    found: list[tuple[type[BaseModel], list[Any]]] = [(model, answers)]
    for name, field in model.model_fields.items():
        inner = [a[name] for a in answers if isinstance(a, dict) and a.get(name) is not None]
        found.extend(models_in(field.annotation, inner))
    return found


async def play_a_day(services: Services, urls: dict[str, str], venue: str) -> None:
    """A venue's day through the gateway's clients: staff, settings, spots, a menu, a table
    that orders three rounds (one validated, one amended, one rejected) and pays, a room that
    charges its bill and orders concierge offers, a POS device paired and revoked."""
    ts, order, pos = services.table_session, services.ordering, services.pos
    async with httpx.AsyncClient(base_url=urls["pos-gateway"], timeout=30) as http:
        # The venue's first account is an owner's and needs no header.
        first = await http.post(
            "/staff",
            json={
                "email": f"owner-{venue}@example.com",
                "name": "Olivia",
                "role": "owner",
                "venue_ids": [venue],
                "password": PASSWORD,
            },
        )
        assert first.status_code == 201, first.text
    owner = await pos.login(f"owner-{venue}@example.com", PASSWORD)
    assert (await pos.me(owner.staff_id)).staff_id == owner.staff_id
    await pos.open_account(
        owner.staff_id,
        pos_gateway.NewAccount(
            email=f"cashier-{venue}@example.com",
            name="Camille",
            role="cashier",
            venue_ids=[venue],
            password=PASSWORD,
        ),
    )
    cashier = next(a for a in await pos.accounts(owner.staff_id) if a.role == "cashier")

    await ts.save_settings(
        venue,
        table_session.VenueSettingsIn(
            name="Hôtel du Port",
            language="fr",
            notification_email="desk@example.com",
            pms_integration="one_way",
        ),
    )
    assert (await ts.settings(venue)) is not None
    await ts.save_profit_centre(
        venue,
        table_session.ProfitCentreIn(
            profit_centre_id=f"dining-{venue}", name="Dining room", mode="order_and_pay"
        ),
    )
    await ts.save_profit_centre(
        venue,
        table_session.ProfitCentreIn(profit_centre_id=f"rooms-{venue}", name="Rooms", mode="order"),
    )
    assert len(await ts.profit_centres(venue)) == 2
    await ts.add_spot(
        venue,
        table_session.SpotIn(profit_centre_id=f"dining-{venue}", name="Table 7", kind="table"),
    )
    await ts.add_spot(
        venue, table_session.SpotIn(profit_centre_id=f"rooms-{venue}", name="Room 112", kind="room")
    )
    spots = {s.kind: s for s in await ts.spots(venue)}
    assert (await ts.qr_code(spots["table"].spot_id)).status_code == 200
    await order.publish_menu(venue, MENU)
    assert (await eventually(lambda: order.menu(venue), within=30)) is not None

    # A table orders three rounds.
    table = await ts.scan(str(spots["table"].token), f"phone-{venue}")
    assert table.session_id
    assert table.guest_id
    session, guest = table.session_id, table.guest_id
    assert (await ts.session(session)).guests
    assert await eventually(lambda: order.cart(session), within=30)

    async def round_of(*note: str) -> ordering.Confirmed:
        added = await order.add_item(
            session,
            ordering.AddItem(
                guest_id=guest,
                product_id="croque",
                quantity=1,
                options=[ordering.OptionPick(group_id="side", choice_id="salad")],
                **({"note": note[0]} if note else {}),
            ),
        )
        await order.change_item(session, guest, added.line_id, 2)
        extra = await order.add_item(
            session, ordering.AddItem(guest_id=guest, product_id="croque", quantity=1)
        )
        await order.remove_item(session, guest, extra.line_id)
        assert (await order.cart(session)) is not None
        return await order.confirm(session, guest)

    await round_of("no mustard")
    await round_of()
    confirmed = await round_of()
    assert (await order.order(session)) is not None

    code = await pos.pairing_code(owner.staff_id, venue)
    device = await pos.pair(code.code, "Bar till")
    till = device.credential

    async def known_rounds() -> pos_gateway.PosOrder | None:
        listed = await pos.orders(till, venue)
        mine = next((o for o in listed if o.order_id == confirmed.order_id), None)
        return mine if mine is not None and len(mine.rounds) == 3 else None

    await eventually(known_rounds, within=30)
    by = {"staff": "Camille", "staff_id": cashier.staff_id}
    await pos.decide_round(till, confirmed.order_id, 1, pos_gateway.StaffOnDevice(**by))
    placed = await pos.order(till, confirmed.order_id)
    line = placed.rounds[1].lines[0]
    await pos.decide_round(
        till,
        confirmed.order_id,
        2,
        pos_gateway.Amendment(
            **by,
            lines=[pos_gateway.AmendedLine(line_id=line.line_id, quantity=1, note="one only")],
            note="one croque left",
        ),
    )
    await pos.decide_round(
        till, confirmed.order_id, 3, pos_gateway.Rejection(**by, reason="kitchen closed")
    )
    await pos.decide_round(till, confirmed.order_id, 2, pos_gateway.StaffOnDevice(**by))
    await eventually(lambda: order.tickets(venue, "kitchen"), within=30)
    decided = await pos.order(till, confirmed.order_id)
    assert (await pos.split(till, confirmed.order_id, 2)).shares
    part = decided.due.amount_minor // 2
    await pos.record_payment(
        till,
        confirmed.order_id,
        pos_gateway.PaymentIn(
            **by,
            amount=decided.due.model_copy(update={"amount_minor": part}),
            method="cash",
        ),
    )
    assert (await pos.order(till, confirmed.order_id)).payments
    assert any(o.payments for o in await pos.orders(till, venue))
    started = await pos.online_payment(confirmed.order_id, guest, "http://gateway.test/t/back")
    assert started.redirect_url

    async def rounds_seen_by_guests() -> ordering.Order | None:
        seen = await order.order(session)
        return seen if seen is not None and any(r.amended for r in seen.rounds) else None

    await eventually(rounds_seen_by_guests, within=30)

    # A room orders concierge offers and charges its bill.
    room = await ts.scan(str(spots["room"].token), f"phone-room-{venue}")
    assert room.session_id
    assert room.guest_id
    room_session, room_guest = room.session_id, room.guest_id
    await eventually(lambda: order.cart(room_session), within=30)
    await order.add_item(
        room_session, ordering.AddItem(guest_id=room_guest, product_id="croque", quantity=1)
    )
    room_round = await order.confirm(room_session, room_guest)
    for offer_id, auto in (("spa", False), ("breakfast", True)):
        await order.save_offer(
            venue,
            f"{offer_id}-{venue}",
            ordering.OfferIn(
                name=LocalizedText(fr=offer_id, en=offer_id),
                offer_type="offer",
                price=Money(amount_minor=2500, currency="EUR"),
                description=LocalizedText(fr="Une offre", en="An offer"),
                auto_confirm=auto,
                available=True,
            ),
        )
    assert len(await order.offers(venue, available_only=True)) == 2
    ordered = [
        await order.order_offer(
            room_session,
            ordering.OrderOffer(
                guest_id=room_guest,
                offer_id=f"{offer_id}-{venue}",
                guest_name="Ada Lovelace",
                guest_email="ada@example.com",
                language="fr",
                note="after 6 pm",
            ),
        )
        for offer_id in ("spa", "spa", "breakfast")
    ]
    assert await order.guest_offer_orders(room_session, room_guest)
    await pos.room_charge(room_round.order_id, room_guest)  # (it closes the room's session)
    await order.decide_offer_order(
        ordered[0].offer_order_id, "confirm", ordering.StaffDecision(staff="Olivia")
    )
    await order.decide_offer_order(
        ordered[1].offer_order_id, "cancel", ordering.StaffDecision(staff="Olivia", reason="full")
    )
    assert len(await order.offer_orders(venue, {"status": "confirmed"})) == 2

    async def to_post() -> list[pos_gateway.FolioPosting]:
        return [p for p in await pos.folio_postings(owner.staff_id, venue) if p.method is None]

    posting = (await eventually(to_post, within=30))[0]
    await pos.act_on_posting(
        owner.staff_id,
        posting.offer_order_id,
        "mark-posted",
        pos_gateway.StaffAction(staff="Olivia"),
    )
    with contextlib.suppress(UpstreamError):  # a posted one is not posted again: refused
        await pos.act_on_posting(
            owner.staff_id, posting.offer_order_id, "retry", pos_gateway.StaffAction(staff="Olivia")
        )

    async def posted() -> bool:
        listed = await pos.folio_postings(owner.staff_id, venue)
        return any(p.offer_order_id == posting.offer_order_id and p.method for p in listed)

    await eventually(posted, within=30)
    await eventually(lambda: services.notifier.notifications(venue), within=60)

    # The table's QR code replaced; the device's list, its revocation; an account closed.
    rotated = await ts.rotate_token(spots["table"].spot_id)
    assert rotated.token != spots["table"].token
    assert await pos.devices(owner.staff_id, venue)
    await pos.revoke_device(owner.staff_id, device.device_id)
    await pos.close_account(owner.staff_id, cashier.staff_id)
    with pytest.raises(UpstreamError) as closed:
        await pos.me(cashier.staff_id)
    assert closed.value.status == 401
