"""The HTTP API of PMS folio posting, for the back office (through the gateway): the venue's
confirmed concierge orders with how their posting to the PMS goes, staff's "try again now",
and staff's "I posted it in the PMS by hand" (one-way venues, or a posting that keeps failing).

Staff calls carry `X-Convive-Staff` (the gateway sends it): any staff of the venue sees its
postings (a cashier too), a manager or owner of the order's venue acts on them.

Each answer is the posting as the back office shows it: `status` (not_required,
to_post_by_hand, pending, posted, failing), `attempts`, `last_error`, `next_attempt_at`
(none once given up), `pms_reference`, `method` (automatic, manual), and the order's details.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.pos_gateway import StaffRole
from convive.pos_gateway import staff
from convive.pos_gateway.domain.staff import StaffMember
from convive.pos_gateway.folio import PostingStatus
from convive.pos_gateway.folio_posting import FolioWorker, one_posting, posting_views

Staff = NamedDependency[StaffMember | None]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StaffAction(_Body):
    staff: str = Field(min_length=1, max_length=100, description="who acts, for the record")


class MarkPosted(StaffAction):
    pms_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the PMS's id of the charge staff posted, if they have it",
    )


def _folio_worker(state: State) -> FolioWorker:
    worker: FolioWorker = state.folio_worker
    return worker


@get("/venues/{venue_id:str}/folio-postings")
async def list_folio_postings(
    venue_id: FromPath[str],
    staff_member: Staff,
    engine: NamedDependency[AsyncEngine],
    status: Annotated[PostingStatus | None, QueryParameter()] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 200,
) -> list[dict[str, Any]]:
    """The venue's confirmed concierge orders and their posting to the PMS, newest first."""
    staff.require_staff(staff_member).require(StaffRole.CASHIER, [venue_id])
    async with engine.connect() as conn:
        return await posting_views(conn, venue_id=venue_id, status=status, limit=limit)


@get("/folio-postings/{offer_order_id:str}")
async def show_folio_posting(
    offer_order_id: FromPath[str], staff_member: Staff, engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    member = staff.require_staff(staff_member)
    posting = await one_posting(engine, offer_order_id)
    member.require(StaffRole.CASHIER, [posting["venue_id"]])
    return posting


async def _require_manager(
    staff_member: StaffMember | None, engine: AsyncEngine, offer_order_id: str
) -> None:
    """A manager (or owner) of the venue the posting belongs to."""
    member = staff.require_staff(staff_member)
    posting = await one_posting(engine, offer_order_id)
    member.require(StaffRole.MANAGER, [posting["venue_id"]])


@post("/folio-postings/{offer_order_id:str}/mark-posted", status_code=HTTP_200_OK)
async def mark_folio_posted(
    offer_order_id: FromPath[str],
    data: JSONBody[MarkPosted],
    staff_member: Staff,
    folio_worker: NamedDependency[FolioWorker],
    engine: NamedDependency[AsyncEngine],
) -> dict[str, Any]:
    """Staff posted the charge in the PMS themselves: `FolioPosted(method=manual)`."""
    await _require_manager(staff_member, engine, offer_order_id)
    outcome = await folio_worker.mark_posted(offer_order_id, data.staff, data.pms_reference)
    return {**await one_posting(engine, offer_order_id), "event_ids": list(outcome.event_ids)}


@post("/folio-postings/{offer_order_id:str}/retry", status_code=HTTP_200_OK)
async def retry_folio_posting(
    offer_order_id: FromPath[str],
    data: JSONBody[StaffAction],
    staff_member: Staff,
    folio_worker: NamedDependency[FolioWorker],
    engine: NamedDependency[AsyncEngine],
) -> dict[str, Any]:
    """Try to post to the PMS now (two-way); answers the posting after the try."""
    await _require_manager(staff_member, engine, offer_order_id)
    outcome = await folio_worker.retry_now(offer_order_id, data.staff)
    return {**await one_posting(engine, offer_order_id), "event_ids": list(outcome.event_ids)}


folio_router = Router(
    path="/",
    route_handlers=[
        list_folio_postings,
        show_folio_posting,
        mark_folio_posted,
        retry_folio_posting,
    ],
    dependencies={
        "folio_worker": Provide(_folio_worker, sync_to_thread=False),
        "staff_member": Provide(staff.staff_of_request),
    },
)
