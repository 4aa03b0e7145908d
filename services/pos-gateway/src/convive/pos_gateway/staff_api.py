"""The pos-gateway HTTP API for staff (through the gateway, which logs them in here and sends
`X-Convive-Staff: <staff_id>` on their calls): staff accounts and logins, pairing codes, the
venue's devices and their revocation; and the pairing of a device with a code."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import EmailStr, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.pos_gateway import StaffRole
from convive.pos_gateway import devices, staff
from convive.pos_gateway.bodies import Body
from convive.pos_gateway.domain.staff import StaffMember
from convive.runtime.eventstore import EventStore

Staff = NamedDependency[StaffMember | None]


class OpenAccount(Body):
    email: EmailStr
    name: str = Field(min_length=1, max_length=100)
    role: StaffRole
    venue_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=100
    )
    password: str = Field(min_length=10, max_length=1000)


class Login(Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class PairDevice(Body):
    name: str = Field(min_length=1, max_length=100, description="how staff call the device")


class PairWithCode(PairDevice):
    code: str = Field(min_length=1, max_length=20, description="XXXX-XXXX, from a manager")


@post("/staff", status_code=HTTP_201_CREATED)
async def open_account(
    data: JSONBody[OpenAccount],
    staff_member: Staff,
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Open a staff account (an owner, for venues all theirs; the very first account is an
    owner's and needs no header)."""
    member, result = await staff.open_account(
        engine,
        store,
        staff_member,
        email=str(data.email),
        name=data.name,
        role=data.role,
        venue_ids=data.venue_ids,
        password=data.password,
    )
    return {**member.profile(), "event_ids": list(result.event_ids)}


@post("/staff/login", status_code=HTTP_200_OK)
async def login(data: JSONBody[Login], engine: NamedDependency[AsyncEngine]) -> dict[str, Any]:
    """The staff profile for an e-mail and password; 401 for either wrong, 429 with
    Retry-After once the e-mail is locked out."""
    member = await staff.login(engine, data.email, data.password)
    return member.profile()


@get("/staff/me")
async def current_account(staff_member: Staff) -> dict[str, Any]:
    """The account the X-Convive-Staff header names, as it stands now (role, venues); 401 once
    it is closed. The gateway asks this to keep a signed-in browser in step with the account."""
    return staff.require_staff(staff_member).profile()


@get("/staff")
async def list_accounts(staff_member: Staff, engine: NamedDependency[AsyncEngine]) -> list[Any]:
    """The open accounts of the owner's venues."""
    owner = staff.require_staff(staff_member)
    return [m.profile() for m in await staff.list_accounts(engine, owner)]


@delete("/staff/{staff_id:str}", status_code=HTTP_200_OK)
async def close_account(
    staff_id: FromPath[str],
    staff_member: Staff,
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    closer = staff.require_staff(staff_member)
    result = await staff.close_account(engine, store, closer, staff_id)
    return {"staff_id": staff_id, "closed": True, "event_ids": list(result.event_ids)}


@post("/venues/{venue_id:str}/pairing-codes", status_code=HTTP_201_CREATED)
async def issue_pairing_code(
    venue_id: FromPath[str], staff_member: Staff, engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    """A single-use code, valid 10 minutes, to pair one device to the venue (shown once)."""
    manager = staff.require_staff(staff_member)
    code, expires_at = await devices.issue_pairing_code(engine, manager, venue_id)
    return {"code": code, "venue_id": venue_id, "expires_at": expires_at.isoformat()}


def _paired(paired: devices.PairedDevice) -> dict[str, Any]:
    return {
        "device_id": paired.device_id,
        "venue_id": paired.venue_id,
        "name": paired.name,
        "credential": paired.credential,
        "event_ids": list(paired.event_ids),
    }


@post("/devices/pair", status_code=HTTP_201_CREATED)
async def pair_with_code(
    data: JSONBody[PairWithCode],
    request: Request[Any, Any, Any],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Pair this device with a code; its credential is in the answer, once."""
    client = request.client.host if request.client is not None else "unknown"
    paired = await devices.pair_with_code(
        engine, store, code=data.code, name=data.name, client=client
    )
    return _paired(paired)


@post("/venues/{venue_id:str}/devices", status_code=HTTP_201_CREATED)
async def pair_device(
    venue_id: FromPath[str],
    data: JSONBody[PairDevice],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Pair a POS device to the venue directly (tests and the demo). The credential is shown
    once: only its digest is kept."""
    return _paired(await devices.pair_device(engine, store, venue_id, data.name))


@get("/venues/{venue_id:str}/devices")
async def list_devices(
    venue_id: FromPath[str], staff_member: Staff, engine: NamedDependency[AsyncEngine]
) -> list[dict[str, Any]]:
    return await devices.list_devices(engine, staff.require_staff(staff_member), venue_id)


@post("/devices/{device_id:str}/revoke", status_code=HTTP_200_OK)
async def revoke_device(
    device_id: FromPath[str],
    staff_member: Staff,
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Revoke a device: its credential is refused at once and its live streams are closed."""
    manager = staff.require_staff(staff_member)
    result, event = await devices.revoke_device(engine, store, manager, device_id)
    return {
        "device_id": device_id,
        "venue_id": event.venue_id,
        "revoked": True,
        "revoked_by": event.revoked_by,
        "event_ids": list(result.event_ids),
    }


staff_router = Router(
    path="/",
    route_handlers=[
        open_account,
        login,
        current_account,
        list_accounts,
        close_account,
        issue_pairing_code,
        pair_with_code,
        pair_device,
        list_devices,
        revoke_device,
    ],
    dependencies={"staff_member": Provide(staff.staff_of_request)},
)
