"""The HTTP API for staff (through the gateway, which logs them in here and sends
`X-Convive-Staff: <staff_id>` on their calls): staff accounts and logins, pairing codes, the
venue's devices and their revocation, and the back office's view of concierge orders posted to
the PMS (with "try again now" and "I posted it in the PMS by hand").

An unknown or closed account is answered 401, a role too low or another venue 403. Roles rank
owner > manager > cashier: any staff of a venue sees its devices and postings, a manager or
owner acts on them, an owner manages accounts.

A posting is answered as the back office shows it: `status` (not_required, to_post_by_hand,
pending, posted, failing), `attempts`, `last_error`, `next_attempt_at` (none once given up),
`pms_reference`, `method` (automatic, manual), and the order's details.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import EmailStr, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.pos_gateway import StaffRole
from convive.pos_gateway.adapters.pms import Pms
from convive.pos_gateway.api.bodies import Body
from convive.pos_gateway.commands import devices, folio, staff
from convive.pos_gateway.domain.folio import PostingStatus
from convive.pos_gateway.domain.staff import STAFF_HEADER, StaffMember, UnknownStaff
from convive.pos_gateway.queries import devices as device_queries
from convive.pos_gateway.queries import staff as staff_queries
from convive.pos_gateway.queries.folio_postings import one_posting, posting_views
from convive.pos_gateway.settings import Settings
from convive.runtime.eventstore import EventStore

Staff = NamedDependency[StaffMember | None]


async def staff_of_request(
    request: Request[Any, Any, Any], engine: NamedDependency[AsyncEngine]
) -> StaffMember | None:
    """The staff member named by the X-Convive-Staff header (a Litestar dependency); None
    without the header, a refusal for an account that does not exist or was closed."""
    staff_id = request.headers.get(STAFF_HEADER, "").strip()
    if not staff_id:
        return None
    async with engine.connect() as conn:
        member = await staff_queries.open_account(conn, staff_id)
    if member is None:
        raise UnknownStaff(f"no open staff account {staff_id}", field=STAFF_HEADER)
    return member


def require_staff(member: StaffMember | None) -> StaffMember:
    if member is None:
        raise UnknownStaff(
            f"this call needs the {STAFF_HEADER} header of a logged-in staff member",
            field=STAFF_HEADER,
        )
    return member


def pms_of(state: State) -> Pms:
    """The PMS client the app holds (a Litestar dependency)."""
    pms: Pms = state.pms
    return pms


# --- accounts -------------------------------------------------------------------------------


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
    return require_staff(staff_member).profile()


@get("/staff")
async def list_accounts(staff_member: Staff, engine: NamedDependency[AsyncEngine]) -> list[Any]:
    """The open accounts of the owner's venues."""
    owner = require_staff(staff_member)
    return [m.profile() for m in await staff_queries.list_accounts(engine, owner)]


@delete("/staff/{staff_id:str}", status_code=HTTP_200_OK)
async def close_account(
    staff_id: FromPath[str],
    staff_member: Staff,
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    closer = require_staff(staff_member)
    result = await staff.close_account(engine, store, closer, staff_id)
    return {"staff_id": staff_id, "closed": True, "event_ids": list(result.event_ids)}


# --- pairing codes and devices --------------------------------------------------------------


@post("/venues/{venue_id:str}/pairing-codes", status_code=HTTP_201_CREATED)
async def issue_pairing_code(
    venue_id: FromPath[str], staff_member: Staff, engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    """A single-use code, valid 10 minutes, to pair one device to the venue (shown once)."""
    manager = require_staff(staff_member)
    code, expires_at = await devices.issue_pairing_code(engine, manager, venue_id)
    return {"code": code, "venue_id": venue_id, "expires_at": expires_at.isoformat()}


@get("/venues/{venue_id:str}/devices")
async def list_devices(
    venue_id: FromPath[str], staff_member: Staff, engine: NamedDependency[AsyncEngine]
) -> list[dict[str, Any]]:
    return await device_queries.list_devices(engine, require_staff(staff_member), venue_id)


@post("/devices/{device_id:str}/revoke", status_code=HTTP_200_OK)
async def revoke_device(
    device_id: FromPath[str],
    staff_member: Staff,
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Revoke a device: its credential is refused at once and its live streams are closed."""
    manager = require_staff(staff_member)
    result, event = await devices.revoke_device(engine, store, manager, device_id)
    return {
        "device_id": device_id,
        "venue_id": event.venue_id,
        "revoked": True,
        "revoked_by": event.revoked_by,
        "event_ids": list(result.event_ids),
    }


# --- concierge orders posted to the PMS -----------------------------------------------------


class PostingAction(Body):
    staff: str = Field(min_length=1, max_length=100, description="who acts, for the record")


class MarkPosted(PostingAction):
    pms_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the PMS's id of the charge staff posted, if they have it",
    )


@get("/venues/{venue_id:str}/folio-postings")
async def list_folio_postings(
    venue_id: FromPath[str],
    staff_member: Staff,
    engine: NamedDependency[AsyncEngine],
    status: Annotated[PostingStatus | None, QueryParameter()] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 200,
) -> list[dict[str, Any]]:
    """The venue's confirmed concierge orders and their posting to the PMS, newest first."""
    require_staff(staff_member).require(StaffRole.CASHIER, [venue_id])
    async with engine.connect() as conn:
        return await posting_views(conn, venue_id=venue_id, status=status, limit=limit)


@get("/folio-postings/{offer_order_id:str}")
async def show_folio_posting(
    offer_order_id: FromPath[str], staff_member: Staff, engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    member = require_staff(staff_member)
    posting = await one_posting(engine, offer_order_id)
    member.require(StaffRole.CASHIER, [posting["venue_id"]])
    return posting


async def _require_manager(
    staff_member: StaffMember | None, engine: AsyncEngine, offer_order_id: str
) -> None:
    """A manager (or owner) of the venue the posting belongs to."""
    member = require_staff(staff_member)
    posting = await one_posting(engine, offer_order_id)
    member.require(StaffRole.MANAGER, [posting["venue_id"]])


@post("/folio-postings/{offer_order_id:str}/mark-posted", status_code=HTTP_200_OK)
async def mark_folio_posted(
    offer_order_id: FromPath[str],
    data: JSONBody[MarkPosted],
    staff_member: Staff,
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Staff posted the charge in the PMS themselves: `FolioPosted(method=manual)`."""
    await _require_manager(staff_member, engine, offer_order_id)
    outcome = await folio.mark_posted(
        engine,
        store,
        offer_order_id=offer_order_id,
        staff=data.staff,
        pms_reference=data.pms_reference,
    )
    return {**await one_posting(engine, offer_order_id), "event_ids": list(outcome.event_ids)}


@post("/folio-postings/{offer_order_id:str}/retry", status_code=HTTP_200_OK)
async def retry_folio_posting(
    offer_order_id: FromPath[str],
    data: JSONBody[PostingAction],
    staff_member: Staff,
    pms: NamedDependency[Pms],
    settings: NamedDependency[Settings],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Try to post to the PMS now (two-way); answers the posting after the try."""
    await _require_manager(staff_member, engine, offer_order_id)
    outcome = await folio.retry_now(
        engine,
        store,
        pms,
        folio.backoff_policy(settings),
        offer_order_id=offer_order_id,
        staff=data.staff,
    )
    return {**await one_posting(engine, offer_order_id), "event_ids": list(outcome.event_ids)}


ROUTES = [
    open_account,
    login,
    current_account,
    list_accounts,
    close_account,
    issue_pairing_code,
    list_devices,
    revoke_device,
    list_folio_postings,
    show_folio_posting,
    mark_folio_posted,
    retry_folio_posting,
]
