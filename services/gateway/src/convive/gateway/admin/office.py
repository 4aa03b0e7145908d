"""What every back-office handler is given (the `office` dependency): the signed-in member, the
services' staff APIs called on their behalf, and the page machinery (rendering in the member's
language, one-shot messages, redirects back with what a service said)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from convive.gateway.admin.forms import FormError
from convive.gateway.cookies import cookie, delete_cookie
from convive.gateway.staff import StaffCookies, StaffProfile, staff_language, staff_page
from convive.gateway.upstream import Services, UpstreamError

log = logging.getLogger(__name__)

FLASH_COOKIE = "convive_admin_flash"
FLASH_MAX_AGE = 120


def p(segment: str) -> str:
    """A path segment, escaped."""
    return quote(segment, safe="")


async def gather(*calls: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*calls))


class Backoffice:
    """The services' staff APIs, called for one signed-in member (pos-gateway's carry
    `X-Convive-Staff`; the others trust the gateway's checks and take the name in the body)."""

    def __init__(self, services: Services, staff: StaffProfile) -> None:
        self.s = services
        self.staff = staff

    async def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return (await self.s.call("GET", url, params=params, headers=self.staff.header))[1]

    async def get_or(self, url: str, default: Any, params: dict[str, str] | None = None) -> Any:
        """The answer, or `default` when the service has nothing (404) or does not answer:
        one missing column should not take the whole page down."""
        try:
            return await self.get(url, params)
        except UpstreamError as exc:
            if exc.status != 404:
                log.warning("back office read failed", extra={"url": url, "status": exc.status})
            return default

    async def send(self, method: str, url: str, body: Any = None) -> Any:
        return (await self.s.call(method, url, json=body, headers=self.staff.header))[1]

    # table-session
    def settings_url(self, venue: str) -> str:
        return f"{self.s.table_session}/venues/{p(venue)}/settings"

    async def settings(self, venue: str) -> dict[str, Any] | None:
        try:
            return await self.get(self.settings_url(venue))
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def venue_name(self, venue: str) -> str:
        try:
            found = await self.settings(venue)
        except UpstreamError:
            found = None
        return str((found or {}).get("name") or venue)

    async def profit_centres(self, venue: str) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.table_session}/venues/{p(venue)}/profit-centres") or []

    async def spots(self, venue: str) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.table_session}/venues/{p(venue)}/spots") or []

    # ordering
    async def menu(self, venue: str) -> dict[str, Any] | None:
        try:
            return await self.get(f"{self.s.ordering}/venues/{p(venue)}/menu")
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def offers(self, venue: str) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.ordering}/venues/{p(venue)}/offers") or []

    async def offer_orders(self, venue: str, params: dict[str, str] | None = None) -> list[Any]:
        return await self.get(f"{self.s.ordering}/venues/{p(venue)}/offer-orders", params) or []

    # pos-gateway
    async def devices(self, venue: str) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.pos}/venues/{p(venue)}/devices") or []

    async def postings(self, venue: str) -> list[dict[str, Any]]:
        return await self.get_or(f"{self.s.pos}/venues/{p(venue)}/folio-postings", [])

    async def accounts(self) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.pos}/staff") or []

    # notifier
    async def notifications(self, venue: str) -> list[dict[str, Any]]:
        return await self.get_or(f"{self.s.notifier}/venues/{p(venue)}/notifications", [])

    async def passthrough(self, url: str, media_type: str) -> Response[Any]:
        """A file a service makes (a QR code, the QR sheet), handed on as it is."""
        try:
            answer = await self.s.client.get(url)
        except httpx.HTTPError as exc:
            log.warning("file unavailable", extra={"url": url, "error": repr(exc)})
            return Response({"status": 503, "error": "unavailable"}, status_code=503)
        if answer.status_code != 200:
            status = answer.status_code if answer.status_code < 500 else 503
            return Response(answer.content, status_code=status, media_type="application/json")
        headers = {"cache-control": "no-cache"}
        if disposition := answer.headers.get("content-disposition"):
            headers["content-disposition"] = disposition
        return Response(answer.content, media_type=media_type, headers=headers)


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
        self.api = Backoffice(services, staff)
        self.t, self._lang_cookies = staff_language(request)

    async def form(self) -> Any:
        return await self.request.form()

    def flash(self) -> dict[str, str] | None:
        value = self.cookies.signer.unsign(FLASH_COOKIE, self.request.cookies.get(FLASH_COOKIE))
        if not value:
            return None
        values = value.get("values") or {}
        try:
            message = self.t(str(value.get("key")), **values)
        except (KeyError, IndexError):
            return None
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
            set_cookies.append(delete_cookie(FLASH_COOKIE, secure=self.cookies.secure))
        venue_name = context.pop("venue_name", None)
        if venue_id is not None and not venue_name:
            venue_name = await self.api.venue_name(venue_id)
        query = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        lang_url = f"{self.request.url.path}?{urlencode({**query, 'lang': self.t('switch_lang')})}"
        context = {
            "t": self.t,
            "lang": self.t.lang,
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
        return staff_page(template, context, status, set_cookies)

    def back(self, url: str, key: str, kind: str = "ok", **values: Any) -> Redirect:
        """Back to a page (Post/Redirect/Get) with a one-shot message."""
        signed = self.cookies.signer.sign(
            FLASH_COOKIE, {"key": key, "kind": kind, "values": values}
        )
        flash: Cookie = cookie(FLASH_COOKIE, signed, FLASH_MAX_AGE, secure=self.cookies.secure)
        return Redirect(url, status_code=303, cookies=[flash])

    def refused(self, url: str, exc: UpstreamError | FormError) -> Redirect:
        """Back to a page with what was wrong: the form, or what the service said."""
        if isinstance(exc, FormError):
            return self.back(url, exc.key, "error", **exc.values)
        if exc.status >= 500:
            return self.back(url, "unavailable", "error")
        return self.back(url, "service_refused", "error", message=exc.message)

    def error(self, exc: UpstreamError | FormError) -> tuple[int, dict[str, str]]:
        """The status and the message of a form shown again, next to its field."""
        if isinstance(exc, FormError):
            return 400, {"field": exc.field, "text": self.t(exc.key, **exc.values)}
        if exc.status >= 500:
            return 503, {"field": "", "text": self.t("unavailable")}
        return exc.status, {"field": exc.field or "", "text": exc.message}


async def provide_office(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Office:
    return Office(request, staff, services, staff_cookies)
