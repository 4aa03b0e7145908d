"""The back office's Orders list, built from the services' answers (pure functions, no I/O):
ordering's offer orders, filtered here as they were asked of ordering, with pos-gateway's folio
posting (the PMS column) and the notifier's e-mails of each order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from convive.gateway.admin.forms import OFFER_TYPES
from convive.gateway.upstream.notifier import Notification
from convive.gateway.upstream.ordering import OfferOrder
from convive.gateway.upstream.pos_gateway import FolioPosting
from convive.gateway.web.language import Language

OFFER_STATUSES = ("pending", "confirmed", "cancelled")


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    offer_type: str = ""
    since: date | None = None
    until: date | None = None
    q: str = ""

    @classmethod
    def parse(cls, query: Mapping[str, Any]) -> OrderFilters:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(str(query.get(name) or ""))
            except ValueError:
                return None

        status = str(query.get("status") or "")
        offer_type = str(query.get("offer_type") or "")
        return cls(
            status=status if status in OFFER_STATUSES else "",
            offer_type=offer_type if offer_type in OFFER_TYPES else "",
            since=day("since"),
            until=day("until"),
            q=str(query.get("q") or "").strip()[:100],
        )

    def params(self) -> dict[str, str]:
        """What ordering is asked (dates as ISO days: ordering takes `until`'s whole day)."""
        params: dict[str, str] = {}
        if self.status:
            params["status"] = self.status
        if self.offer_type:
            params["offer_type"] = self.offer_type
        if self.since:
            params["since"] = self.since.isoformat()
        if self.until:
            params["until"] = self.until.isoformat()
        if self.q:
            params["q"] = self.q
        return params

    def keeps(self, order: OfferOrder) -> bool:
        """The same filters applied here, so the list is right whichever of them the service
        applies itself."""
        if self.status and order.status != self.status:
            return False
        if self.offer_type and order.offer_type != self.offer_type:
            return False
        ordered = order.ordered_at
        if self.since and ordered < _start_of(self.since):
            return False
        if self.until and ordered >= _start_of(self.until + timedelta(days=1)):
            return False
        if self.q:
            words = (order.guest_name, order.guest_email, order.spot_name, order.note)
            names = (order.offer_name.fr, order.offer_name.en)
            haystack = " ".join(w for w in (*words, *names) if w)
            if self.q.casefold() not in haystack.casefold():
                return False
        return True


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass
class Pms:
    """The PMS column of one offer order."""

    status: str  # none | waiting | to_post_by_hand | pending | posted | failing | not_required
    attempts: int = 0
    last_error: str = ""
    reference: str = ""
    manual: bool = False
    next_attempt_at: str = ""

    @property
    def can_mark_posted(self) -> bool:
        return self.status == "to_post_by_hand"

    @property
    def can_retry(self) -> bool:
        return self.status == "failing"


@dataclass
class Mail:
    status: str  # pending | failing | sent | failed
    recipient_role: str = ""  # guest | property
    attempts: int = 0
    last_error: str = ""


@dataclass
class OrderRow:
    offer_order_id: str
    ordered_at: str
    ordered_at_text: str
    guest_name: str
    guest_email: str
    offer_name: str
    offer_type: str
    revenue: str
    status: str
    automatic: bool
    spot_name: str
    note: str
    pms: Pms
    mails: list[Mail] = field(default_factory=list)

    @property
    def can_confirm(self) -> bool:
        return self.status == "pending"

    @property
    def mails_sent(self) -> int:
        return sum(1 for m in self.mails if m.status == "sent")

    @property
    def can_cancel(self) -> bool:
        return self.status != "cancelled"


def pms_of(order: OfferOrder, posting: FolioPosting | None, integration: str | None) -> Pms:
    cancelled = order.status == "cancelled"
    if posting is not None and not (cancelled and posting.status != "posted"):
        # A cancelled order is not posted any more (pos-gateway hears of it a moment later):
        # only one already posted still matters, to be reversed in the PMS.
        return Pms(
            status=posting.status,
            attempts=posting.attempts,
            last_error=posting.last_error or "",
            reference=posting.pms_reference or "",
            manual=posting.method == "manual",
            next_attempt_at=posting.next_attempt_at.isoformat() if posting.next_attempt_at else "",
        )
    if integration in (None, "none") or cancelled:
        return Pms(status="none")
    # Confirmed a moment ago: pos-gateway has not heard of it yet.
    return Pms(status="waiting" if order.status == "confirmed" else "none")


def order_rows(
    orders: Iterable[OfferOrder],
    postings: Iterable[FolioPosting],
    notifications: Iterable[Notification],
    integration: str | None,
    filters: OrderFilters,
    t: Language,
) -> list[OrderRow]:
    by_order = {p.offer_order_id: p for p in postings}
    mails: dict[str, list[Mail]] = {}
    for n in notifications:
        if n.offer_order_id:
            mails.setdefault(n.offer_order_id, []).append(
                Mail(
                    status=n.status,
                    recipient_role=n.recipient_role or "",
                    attempts=n.attempts,
                    last_error=n.last_error or "",
                )
            )
    kept = sorted((o for o in orders if filters.keeps(o)), key=lambda o: o.ordered_at, reverse=True)
    return [
        OrderRow(
            offer_order_id=o.offer_order_id,
            ordered_at=o.ordered_at.isoformat(),
            ordered_at_text=t.when(o.ordered_at),
            guest_name=o.guest_name,
            guest_email=o.guest_email,
            offer_name=t.text(o.offer_name),
            offer_type=o.offer_type,
            revenue=t.money(o.revenue),
            status=o.status,
            automatic=o.automatic,
            spot_name=o.spot_name or "",
            note=o.note or "",
            pms=pms_of(o, by_order.get(o.offer_order_id), integration),
            mails=mails.get(o.offer_order_id, []),
        )
        for o in kept
    ]


def failing_mails(notifications: Iterable[Notification]) -> list[Notification]:
    return [n for n in notifications if n.status in ("failing", "failed")]
