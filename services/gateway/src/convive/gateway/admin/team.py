"""The back office's pages about who works the venue: its POS devices (pairing codes for new
ones, revoking lost ones) and, for the owner, the staff accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from convive.gateway.admin import forms
from convive.gateway.admin.office import (
    MANAGERS_OF_VENUE,
    OFFICE,
    OWNER_OF_VENUE,
    VENUE,
    Office,
    gather,
    here,
)
from convive.gateway.upstream import UpstreamError
from convive.gateway.upstream.pos_gateway import PairingCode
from convive.gateway.web.forms import FormError
from convive.gateway.web.language import N_
from convive.gateway.web.refusals import Refused

# --- devices -----------------------------------------------------------------------------------


@dataclass
class DeviceRow:
    device_id: str
    name: str
    paired_at_text: str
    revoked: bool


async def _devices_page(
    office: Office, venue_id: str, *, pairing: dict[str, Any] | None = None, status: int = 200
) -> Template:
    devices = await office.services.pos.devices(office.me, venue_id)
    await office.in_venue(venue_id)
    rows = [
        DeviceRow(d.device_id, d.name, office.t.when(d.paired_at), d.revoked)
        for d in sorted(devices, key=lambda d: (d.revoked, d.name))
    ]
    return await office.page(
        "admin/devices.html",
        venue_id=venue_id,
        section="devices",
        status=status,
        devices=rows,
        pairing=pairing,
    )


@get(
    f"{VENUE}/devices",
    summary="POS devices, pairing codes",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def devices_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    return await _devices_page(office, venue_id)


@post(
    f"{VENUE}/pairing-codes",
    summary="Issue a pairing code for a new POS device",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def new_pairing_code(
    venue_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    try:
        code: PairingCode = await office.services.pos.pairing_code(office.me, venue_id)
    except UpstreamError as exc:
        return office.refused(here(venue_id, "/devices"), exc)
    await office.in_venue(venue_id)
    # Shown in this answer only, never in a URL or a cookie: it opens the venue's till.
    pairing = {
        "code": code.code,
        "expires_at": code.expires_at.isoformat(),
        "expires_text": office.t.time(code.expires_at),
    }
    return await _devices_page(office, venue_id, pairing=pairing, status=201)


@post(
    f"{VENUE}/devices/{{device_id:str}}/revoke",
    summary="Revoke a POS device",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def revoke_device(
    venue_id: FromPath[str], device_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    try:
        # pos-gateway acts on any id of the member's venues: the gateway checks it is this one's.
        devices = await office.services.pos.devices(office.me, venue_id)
        device = next((d for d in devices if d.device_id == device_id), None)
        if device is None:
            raise Refused(404, "no such device in this venue", "device_id")
        await office.services.pos.revoke_device(office.me, device_id)
    except UpstreamError as exc:
        return office.refused(here(venue_id, "/devices"), exc)
    return office.back(here(venue_id, "/devices"), N_("%(name)s revoked."), name=device.name)


# --- staff accounts ----------------------------------------------------------------------------


async def _staff_page(
    office: Office,
    venue_id: str,
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    accounts, names = await gather(
        office.services.pos.accounts(office.me),
        gather(*(office.venue_name(v) for v in office.staff.venue_ids)),
    )
    mine = [a for a in accounts if venue_id in a.venue_ids]
    mine.sort(key=lambda a: (forms.STAFF_ROLES.index(a.role), a.name))
    return await office.page(
        "admin/staff.html",
        venue_id=venue_id,
        section="staff",
        status=status,
        error=error,
        accounts=mine,
        my_venues=list(zip(office.staff.venue_ids, names, strict=True)),
        values=values or {"name": "", "email": "", "role": "cashier", "venue_ids": [venue_id]},
    )


@get(
    f"{VENUE}/staff",
    summary="Staff accounts of the venue",
    guards=OWNER_OF_VENUE,
    dependencies=OFFICE,
)
async def staff_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    return await _staff_page(office, venue_id)


@post(f"{VENUE}/staff", summary="Open a staff account", guards=OWNER_OF_VENUE, dependencies=OFFICE)
async def open_account(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    form = await office.form()
    venues = [v for v in form.getall("venue_ids", []) if v]
    values = {"name": "", "email": "", "role": "cashier", **dict(form), "venue_ids": venues}
    try:
        account = forms.account_body(form, venues, office.staff.venue_ids)
        await office.services.pos.open_account(office.me, account)
    except (FormError, UpstreamError) as exc:
        status, error = office.error(exc)
        return await _staff_page(office, venue_id, status=status, error=error, values=values)
    return office.back(
        here(venue_id, "/staff"), N_("Account of %(name)s opened."), name=account.name
    )


@post(
    f"{VENUE}/staff/{{staff_id:str}}/close",
    summary="Close a staff account",
    guards=OWNER_OF_VENUE,
    dependencies=OFFICE,
)
async def close_account(
    venue_id: FromPath[str], staff_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    if staff_id == office.staff.staff_id:
        return office.back(
            here(venue_id, "/staff"), N_("You cannot close your own account."), "error"
        )
    try:
        accounts = await office.services.pos.accounts(office.me)
        account = next((a for a in accounts if a.staff_id == staff_id), None)
        if account is None or venue_id not in account.venue_ids:
            raise Refused(404, "no such staff account in this venue", "staff_id")
        await office.services.pos.close_account(office.me, staff_id)
    except UpstreamError as exc:
        return office.refused(here(venue_id, "/staff"), exc)
    return office.back(
        here(venue_id, "/staff"), N_("Account of %(name)s closed."), name=account.name
    )


ROUTES = [
    devices_page,
    new_pairing_code,
    revoke_device,
    staff_page,
    open_account,
    close_account,
]
