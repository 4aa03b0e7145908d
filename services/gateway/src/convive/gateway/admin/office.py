"""What every back-office handler is given (the `office` dependency): the signed-in member, the
services, and the page machinery (rendering in the member's language, one-shot messages,
redirects back with what a service said)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from litestar import Request, Response
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.web.cookies import MANAGERS, ROLES, StaffCookies, StaffProfile
from convive.gateway.web.forms import FormError
from convive.gateway.web.guards import signed_in, staff_only
from convive.gateway.web.language import N_, UNAVAILABLE, Language, language_of
from convive.gateway.web.responses import staff_page

log = logging.getLogger(__name__)

FLASH_COOKIE = "convive_admin_flash"
FLASH_MAX_AGE = 120
T = TypeVar("T")


VENUE = "/venues/{venue_id:str}"

EVERYONE_OF_VENUE = staff_only(*ROLES)
MANAGERS_OF_VENUE = staff_only(*MANAGERS)
OWNER_OF_VENUE = staff_only("owner")


def here(venue_id: str, page: str = "") -> str:
    """A page of the venue's back office."""
    return f"/admin/venues/{quote(venue_id, safe='')}{page}"


async def gather(*calls: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*calls))


async def or_default(call: Awaitable[T], default: T) -> T:
    """The answer, or `default` when the service has nothing (404) or does not answer: one
    missing column should not take the whole page down."""
    try:
        return await call
    except UpstreamError as exc:
        if exc.status != 404:
            log.warning("back office read failed", extra={"status": exc.status})
        return default


async def passthrough(answer: Awaitable[Any], media_type: str) -> Response[Any]:
    """A file a service makes (a QR code, the QR sheet), handed on as it is."""
    try:
        made = await answer
    except UpstreamError:
        return Response({"status": 503, "error": "unavailable"}, status_code=503)
    if made.status_code != 200:
        status = made.status_code if made.status_code < 500 else 503
        return Response(made.content, status_code=status, media_type="application/json")
    headers = {"cache-control": "no-cache"}
    if disposition := made.headers.get("content-disposition"):
        headers["content-disposition"] = disposition
    return Response(made.content, media_type=media_type, headers=headers)


class Office:
    """One back-office request: who asks, in which language, and how its page answers."""

    def __init__(
        self,
        request: Request[Any, Any, Any],
        staff: StaffProfile,
        services: Services,
        cookies: StaffCookies,
    ) -> None:
        self.request = request
        self.staff = staff
        self.services = services
        self.cookies = cookies
        self.t, self._lang_cookies = language_of(request)

    @property
    def me(self) -> str:
        """The member's id, for pos-gateway's staff API (`X-Convive-Staff`)."""
        return self.staff.staff_id

    async def form(self) -> Any:
        return await self.request.form()

    async def venue_name(self, venue_id: str) -> str:
        try:
            found = await self.services.table_session.settings(venue_id)
        except UpstreamError:
            found = None
        return found.name if found is not None else venue_id

    async def in_venue(self, venue_id: str) -> None:
        """Write the page's times in the venue's time zone."""
        self.t = self.t.in_zone(await self.services.table_session.time_zone(venue_id))

    def flash(self) -> dict[str, str] | None:
        value = self.cookies.signer.unsign(FLASH_COOKIE, self.request.cookies.get(FLASH_COOKIE))
        if not value:
            return None
        values = value.get("values") or {}
        try:
            message = self.t.gettext(str(value.get("key")), **values)
        except (KeyError, TypeError, ValueError):
            return None  # a message of an older gateway, whose values no longer fit
        return {"kind": str(value.get("kind") or "ok"), "text": message}

    async def page(
        self,
        template: str,
        *,
        venue_id: str | None = None,
        section: str = "",
        status: int = 200,
        **context: Any,
    ) -> Template:
        set_cookies = list(self._lang_cookies)
        flash = self.flash()
        if self.request.cookies.get(FLASH_COOKIE):
            set_cookies.append(self.cookies.delete(FLASH_COOKIE))
        venue_name = context.pop("venue_name", None)
        if venue_id is not None and not venue_name:
            venue_name = await self.venue_name(venue_id)
        query = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        lang_url = f"{self.request.url.path}?{urlencode({**query, 'lang': self.t.other})}"
        context = {
            "labels": labels(self.t),
            "staff": self.staff,
            "csrf_token": self.staff.csrf,
            "venue_id": venue_id,
            "venue_name": venue_name or "",
            "section": section,
            "flash": flash,
            "lang_url": lang_url,
            "error": None,
            **context,
        }
        return staff_page(template, self.t, context, status, set_cookies)

    def back(self, url: str, text: str, kind: str = "ok", **values: Any) -> Redirect:
        """Back to a page (Post/Redirect/Get) with a one-shot message (a catalogue entry,
        marked with `N_`, worded when the page is shown; `values` fill its placeholders)."""
        flash = {"key": text, "kind": kind, "values": values}
        return Redirect(
            url,
            status_code=303,
            cookies=[self.cookies.signed(FLASH_COOKIE, flash, FLASH_MAX_AGE)],
        )

    def refused(self, url: str, exc: UpstreamError | FormError) -> Redirect:
        """Back to a page with what was wrong: the form, or what the service said."""
        if isinstance(exc, FormError):
            return self.back(url, exc.message, "error", **exc.values)
        if exc.status >= 500:
            return self.back(url, UNAVAILABLE, "error")
        return self.back(url, N_("Refused: %(message)s"), "error", message=exc.message)

    def error(self, exc: UpstreamError | FormError) -> tuple[int, dict[str, str]]:
        """The status and the message of a form shown again, next to its field."""
        if isinstance(exc, FormError):
            return 400, {"field": exc.field, "text": self.t.gettext(exc.message, **exc.values)}
        if exc.status >= 500:
            return 503, {"field": "", "text": self.t.gettext(UNAVAILABLE)}
        return exc.status, {"field": exc.field or "", "text": exc.message}


def labels(t: Language) -> dict[str, dict[str, str]]:
    """The words of the back office's codes: roles, statuses, kinds, modes."""
    return {
        "role": {
            "owner": t.gettext("owner"),
            "manager": t.gettext("manager"),
            "cashier": t.gettext("cashier"),
        },
        "order_status": {
            "pending": t.gettext("Pending"),
            "confirmed": t.gettext("Confirmed"),
            "cancelled": t.gettext("Cancelled"),
        },
        "offer_type": {"offer": t.gettext("Offer"), "upgrade": t.gettext("Upgrade")},
        "mail_status": {
            "sent": t.gettext("E-mail sent"),
            "pending": t.gettext("E-mail waiting"),
            "failing": t.gettext("E-mail failing"),
            "failed": t.gettext("E-mail not sent (given up)"),
        },
        "mail_to": {"guest": t.gettext("to the guest"), "property": t.gettext("to the property")},
        "journey_mode": {
            "menu": t.gettext("Menu only"),
            "order": t.pgettext("journey mode", "Order"),
            "order_and_pay": t.gettext("Order and pay"),
            "pay": t.gettext("Pay only"),
        },
        "spot_kind": {"table": t.gettext("Table"), "room": t.gettext("Room")},
        "spot_status": {"free": t.gettext("Free"), "occupied": t.gettext("Occupied")},
    }


async def provide_office(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Office:
    return Office(request, staff, services, staff_cookies)


OFFICE = {"staff": Provide(signed_in, sync_to_thread=False), "office": Provide(provide_office)}
"""Every back-office route's dependencies: the member its guards let in, the `office` built for
them."""
