"""Staff accounts over HTTP on real Kafka and PostgreSQL: the first owner opens their own
account, owners open and close accounts of their venues, staff log in (the same refusal for
an unknown e-mail and a wrong password; five failures lock the e-mail out on every replica),
and the X-Convive-Staff header is checked for role and venues."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.pos_gateway import StaffAccountClosed, StaffAccountOpened
from convive.pos_gateway.tables import attempt_throttles, staff_accounts
from convive.runtime.eventstore import EventStore
from convive.runtime.testkit import read_topic

pytestmark = pytest.mark.infra

PASSWORD = "correct horse battery"  # noqa: S105 (the tests' own)
Count = Callable[[], Awaitable[int]]


def as_staff(account: dict[str, Any]) -> dict[str, str]:
    return {"X-Convive-Staff": account["staff_id"]}


async def open_account(
    pos: AsyncTestClient[Any], by: dict[str, Any] | None, **fields: Any
) -> dict[str, Any]:
    body = {"password": PASSWORD, "venue_ids": ["venue-1"], "role": "cashier", **fields}
    answer = await pos.post("/staff", json=body, headers=as_staff(by) if by else {})
    assert answer.status_code == 201, answer.text
    opened: dict[str, Any] = answer.json()
    return opened


async def test_the_first_owner_opens_their_account_then_owners_open_their_venues_accounts(
    pos: AsyncTestClient[Any],
    store: EventStore,
    reader: AsyncEngine,
    event_count: Count,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    not_an_owner = await pos.post(
        "/staff",
        json={
            "email": "max@example.com",
            "name": "Max",
            "role": "manager",
            "venue_ids": ["venue-1"],
            "password": PASSWORD,
        },
    )
    assert not_an_owner.status_code == 403
    assert not_an_owner.json()["field"] == "role"

    owner = await open_account(
        pos,
        None,
        email=" Odile@Example.COM ",
        name="Odile",
        role="owner",
        venue_ids=["venue-1", "venue-2"],
    )
    assert {k: v for k, v in owner.items() if k not in ("staff_id", "event_ids")} == {
        "email": "odile@example.com",
        "name": "Odile",
        "role": "owner",
        "venue_ids": ["venue-1", "venue-2"],
    }
    [opened] = await store.read_stream(f"staff-{owner['staff_id']}")
    assert opened.id == owner["event_ids"][0]
    event = opened.event()
    assert isinstance(event, StaffAccountOpened)
    assert event.opened_by is None
    assert PASSWORD not in str(opened.data)
    async with reader.connect() as conn:
        stored_hash = await conn.scalar(sa.select(staff_accounts.c.password_hash))
    assert stored_hash.startswith("$argon2id$")
    assert PASSWORD not in stored_hash

    # the bootstrap is over: no header, no account
    again = await pos.post(
        "/staff",
        json={
            "email": "eve@example.com",
            "name": "Eve",
            "role": "owner",
            "venue_ids": ["venue-1"],
            "password": PASSWORD,
        },
    )
    assert again.status_code == 401
    assert again.json()["field"] == "X-Convive-Staff"

    manager = await open_account(pos, owner, email="max@example.com", name="Max", role="manager")
    cashier = await open_account(pos, owner, email="cyril@example.com", name="Cyril")
    before = await event_count()
    refusals = [
        ({"email": "MAX@example.com", "name": "Max 2"}, owner, 409, "email"),
        (
            {"email": "new@example.com", "name": "N", "venue_ids": ["venue-3"]},
            owner,
            403,
            "venue_ids",
        ),
        ({"email": "new@example.com", "name": "N"}, manager, 403, "X-Convive-Staff"),
        ({"email": "new@example.com", "name": "N", "password": "short"}, owner, 400, "password"),
        ({"email": "not-an-email", "name": "N"}, owner, 400, "email"),
        ({"email": "new@example.com", "name": "N", "role": "chef"}, owner, 400, "role"),
        ({"email": "new@example.com", "name": "N", "venue_ids": []}, owner, 400, "venue_ids"),
        ({"email": "new@example.com", "name": "N", "pin": "1234"}, owner, 400, "pin"),
    ]
    for fields, by, status, field in refusals:
        body = {"password": PASSWORD, "venue_ids": ["venue-1"], "role": "cashier", **fields}
        refused = await pos.post("/staff", json=body, headers=as_staff(by))
        assert refused.status_code == status, (fields, refused.text)
        assert refused.json()["field"] == field, (fields, refused.text)
    unknown = await pos.post(
        "/staff",
        json={
            "email": "n@example.com",
            "name": "N",
            "role": "cashier",
            "venue_ids": ["venue-1"],
            "password": PASSWORD,
        },
        headers={"X-Convive-Staff": "nobody"},
    )
    assert unknown.status_code == 401
    assert await event_count() == before

    listed = await pos.get("/staff", headers=as_staff(owner))
    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()] == ["Cyril", "Max", "Odile"]
    assert all("password" not in str(a) for a in listed.json())
    assert (await pos.get("/staff", headers=as_staff(manager))).status_code == 403
    assert (await pos.get("/staff")).status_code == 401

    # closing an account: it can no longer log in nor act
    assert (
        await pos.post("/staff/login", json={"email": "cyril@example.com", "password": PASSWORD})
    ).status_code == 200
    for by, path, status in [
        (manager, f"/staff/{cashier['staff_id']}", 403),
        (owner, f"/staff/{owner['staff_id']}", 409),
        (owner, "/staff/nobody", 404),
    ]:
        assert (await pos.delete(path, headers=as_staff(by))).status_code == status, path
    me = await pos.get("/staff/me", headers=as_staff(cashier))
    assert me.status_code == 200, me.text
    assert (me.json()["staff_id"], me.json()["role"]) == (cashier["staff_id"], "cashier")
    closed = await pos.delete(f"/staff/{cashier['staff_id']}", headers=as_staff(owner))
    assert closed.status_code == 200, closed.text
    assert (await pos.get("/staff/me", headers=as_staff(cashier))).status_code == 401
    assert (await pos.get("/staff/me")).status_code == 401
    twice = await pos.delete(f"/staff/{cashier['staff_id']}", headers=as_staff(owner))
    assert twice.status_code == 409
    login = await pos.post(
        "/staff/login", json={"email": "cyril@example.com", "password": PASSWORD}
    )
    assert login.status_code == 401
    gone = await pos.get("/venues/venue-1/devices", headers=as_staff(cashier))
    assert gone.status_code == 401
    assert [a["name"] for a in (await pos.get("/staff", headers=as_staff(owner))).json()] == [
        "Max",
        "Odile",
    ]
    history = await store.read_stream(f"staff-{cashier['staff_id']}")
    assert [type(e.event()) for e in history] == [StaffAccountOpened, StaffAccountClosed]

    records = await read_topic(kafka_bootstrap, events_topic("pos-gateway", namespace), expect=4)
    published = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    assert sorted(e.type for e in published) == ["StaffAccountClosed"] + ["StaffAccountOpened"] * 3
    assert all(PASSWORD not in r.value.decode() for r in records)


async def test_two_first_owners_at_once_only_one_is_opened_without_a_header(
    pos: AsyncTestClient[Any],
) -> None:
    answers = await asyncio.gather(
        *(
            pos.post(
                "/staff",
                json={
                    "email": f"owner{i}@example.com",
                    "name": f"Owner {i}",
                    "role": "owner",
                    "venue_ids": ["venue-1"],
                    "password": PASSWORD,
                },
            )
            for i in range(2)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 401]


async def test_logging_in_and_five_failures_lock_the_email_out_for_fifteen_minutes(
    pos: AsyncTestClient[Any], reader: AsyncEngine
) -> None:
    owner = await open_account(pos, None, email="odile@example.com", name="Odile", role="owner")
    ok = await pos.post("/staff/login", json={"email": " ODILE@example.com", "password": PASSWORD})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {
        "staff_id": owner["staff_id"],
        "email": "odile@example.com",
        "name": "Odile",
        "role": "owner",
        "venue_ids": ["venue-1"],
    }

    unknown = await pos.post("/staff/login", json={"email": "nobody@example.com", "password": "x"})
    wrong = await pos.post("/staff/login", json={"email": "odile@example.com", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert (await pos.post("/staff/login", json={"email": "odile@example.com"})).status_code == 400

    # a success forgets the failures before it: four more make five in all
    assert (
        await pos.post("/staff/login", json={"email": "odile@example.com", "password": PASSWORD})
    ).status_code == 200
    for _ in range(5):
        failed = await pos.post(
            "/staff/login", json={"email": "odile@example.com", "password": "guess"}
        )
        assert failed.status_code == 401
    for password in ("guess", PASSWORD):  # even the right password waits
        locked = await pos.post(
            "/staff/login", json={"email": "Odile@example.com", "password": password}
        )
        assert locked.status_code == 429, locked.text
        assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
        assert "15 minutes" in locked.json()["error"]
    # another e-mail is not locked
    other = await pos.post("/staff/login", json={"email": "max@example.com", "password": "guess"})
    assert other.status_code == 401

    # the lock is in the database (every replica sees it); once it is over, logins work again
    async with reader.begin() as conn:
        await conn.execute(
            attempt_throttles.update().values(
                locked_until=sa.func.now() - datetime.timedelta(seconds=1)
            )
        )
    back = await pos.post("/staff/login", json={"email": "odile@example.com", "password": PASSWORD})
    assert back.status_code == 200, back.text


async def test_many_wrong_passwords_at_once_never_get_more_than_five_tries(
    pos: AsyncTestClient[Any],
) -> None:
    await open_account(pos, None, email="odile@example.com", name="Odile", role="owner")
    answers = await asyncio.gather(
        *(
            pos.post("/staff/login", json={"email": "odile@example.com", "password": f"g{i}"})
            for i in range(8)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 3, statuses
