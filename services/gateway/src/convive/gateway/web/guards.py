"""The staff checks of the back office and the POS console, as Litestar guards: a route lists
who may use it (`guards=staff_only("owner", "manager")`) and its handler asks for the signed-in
`staff` (a `StaffProfile` whose `csrf` is the token its forms carry).

`staff_only` refuses (`Refused`, answered by `web.handlers`) in this order: nobody signed in
(401), an account closed since (401), a venue in the path that is not one of the member's (403),
a role not listed (403), and for a post, another origin or a CSRF token that does not match the
browser's (403). A page request refused with 401 is sent to the login page and back; a script
gets JSON. `csrf_checked` is the post check alone, for the login, logout and pairing forms."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from convive.gateway.web.cookies import CSRF_COOKIE, ROLES, STAFF_COOKIE, StaffProfile
from convive.gateway.web.refusals import Refused
from convive.gateway.web.shared import Shared
from convive.gateway.web.staff import SAFE_METHODS, check_csrf

STAFF_STATE = "staff"


def staff_only(*roles: str, venue_param: str = "venue_id") -> list[Guard]:
    """The guards of a staff route: a signed-in member with one of `roles` (any role when none
    is named) and the path's `venue_param` among their venues; a post's CSRF token checked."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def signed_in_staff(
        connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        shared = Shared.of(connection)
        profile = shared.staff_cookies.profile(connection.cookies.get(STAFF_COOKIE))
        if profile is None:
            raise Refused(401, "sign in first", "staff")
        profile = await shared.staff_accounts.current(shared.services, profile)
        if profile is None:
            raise Refused(401, "this account was closed: sign in again", "staff")
        venue_id = connection.path_params.get(venue_param)
        if venue_id is not None and not profile.has_venue(str(venue_id)):
            raise Refused(403, "this venue is not one of yours", venue_param)
        if not profile.has_role(*roles):
            raise Refused(403, f"this needs the role {' or '.join(roles)}", "role")
        if isinstance(connection, Request) and connection.method not in SAFE_METHODS:
            token = await check_csrf(connection, shared.staff_cookies)
        else:
            token = shared.staff_cookies.csrf(connection.cookies.get(CSRF_COOKIE)) or ""
        connection.state[STAFF_STATE] = replace(profile, csrf=token)

    return [signed_in_staff]


async def csrf_checked(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A staff form's post: from this origin, with the browser's CSRF token."""
    if isinstance(connection, Request):
        await check_csrf(connection, Shared.of(connection).staff_cookies)


def signed_in(request: Request[Any, Any, Any]) -> StaffProfile:
    """The `staff` dependency: the member `staff_only` let in."""
    profile = request.state[STAFF_STATE]
    assert isinstance(profile, StaffProfile)
    return profile
