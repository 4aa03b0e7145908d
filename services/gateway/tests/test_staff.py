"""Staff sign-in: the login page, the signed profile cookie, the CSRF token of staff forms,
what a wrong password and a lock-out show, and where `next=` may lead."""

from __future__ import annotations

import html
import time
from typing import Any

from convive.gateway.upstream.pos_gateway import StaffAccount
from convive.gateway.web import staff
from convive.gateway.web.cookies import STAFF_COOKIE, StaffCookies, StaffProfile
from convive.gateway.web.staff import safe_next


async def test_the_login_page_speaks_the_browsers_language(gateway: Any) -> None:
    fr = await gateway.client.get("/admin/login", headers={"accept-language": "fr-FR"})
    assert fr.status_code == 200
    assert "Connexion au back-office" in fr.text
    assert 'autocomplete="current-password"' in fr.text
    en = await gateway.client.get("/pos/login?lang=en")
    assert "POS console sign-in" in en.text
    assert 'action="/pos/login"' in en.text


async def test_a_good_password_signs_in_and_goes_to_next(gateway: Any) -> None:
    page = await gateway.client.get(f"/admin/login?next=/admin/venues/{gateway.venue}/offers")
    answer = await gateway.client.post(
        "/admin/login",
        data={
            "email": "manager@hotel.test",
            "password": gateway.password,
            "csrf_token": gateway.csrf_of(page.text),
            "next": f"/admin/venues/{gateway.venue}/offers",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/admin/venues/{gateway.venue}/offers"
    staff_cookie = next(c for c in answer.headers.get_list("set-cookie") if STAFF_COOKIE in c)
    assert "HttpOnly" in staff_cookie
    assert "samesite=lax" in staff_cookie.lower()
    assert "Max-Age=43200" in staff_cookie
    # The login page of a signed-in member goes straight on.
    again = await gateway.client.get("/pos/login", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/pos")


async def test_a_wrong_password_is_shown_and_nothing_is_signed_in(gateway: Any) -> None:
    answer = await gateway.sign_in("manager@hotel.test", "wrong password!")
    assert answer.status_code == 401
    assert "Wrong e-mail or password." in answer.text
    assert 'value="manager@hotel.test"' in answer.text  # kept, to fix the password only
    assert STAFF_COOKIE not in answer.headers.get("set-cookie", "")
    page = await gateway.client.get(
        f"/admin/venues/{gateway.venue}/settings", follow_redirects=False
    )
    assert page.status_code == 303


async def test_after_five_failures_the_page_says_how_long_to_wait(gateway: Any) -> None:
    for _ in range(5):
        answer = await gateway.sign_in("cashier@hotel.test", "not the password")
        assert answer.status_code == 401
    locked = await gateway.sign_in("cashier@hotel.test", gateway.password)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "840"
    assert "Too many tries: wait 14 minutes before trying again." in locked.text
    fr = await gateway.form(
        "/admin/login?lang=fr",
        {"email": "cashier@hotel.test", "password": gateway.password},
        page="/admin/login",
    )
    assert "Trop d'essais : attendez 14 minutes avant de réessayer." in html.unescape(fr.text)


async def test_a_login_post_without_the_pages_token_is_refused(gateway: Any) -> None:
    await gateway.client.get("/admin/login")
    answer = await gateway.client.post(
        "/admin/login",
        data={
            "email": "owner@hotel.test",
            "password": gateway.password,
            "csrf_token": "forged" * 4,
        },
    )
    assert answer.status_code == 403
    assert gateway.services.sent("POST", "/staff/login") == []
    cross_site = await gateway.client.post(
        "/admin/login",
        data={
            "email": "owner@hotel.test",
            "password": gateway.password,
            "csrf_token": gateway.csrf_of((await gateway.client.get("/admin/login")).text),
        },
        headers={"origin": "https://evil.test"},
    )
    assert cross_site.status_code == 403


async def test_pages_need_a_signed_in_member_and_scripts_get_401(gateway: Any) -> None:
    page = await gateway.client.get(f"/admin/venues/{gateway.venue}/offers", follow_redirects=False)
    assert page.status_code == 303
    assert (
        gateway.path_of(page.headers["location"])
        == f"/admin/login?next=/admin/venues/{gateway.venue}/offers"
    )
    script = await gateway.client.get(
        f"/admin/venues/{gateway.venue}/offers", headers={"accept": "application/json"}
    )
    assert script.status_code == 401
    assert script.json()["field"] == "staff"


async def test_logout_forgets_the_member(gateway: Any) -> None:
    await gateway.sign_in("owner@hotel.test")
    home = await gateway.client.get("/admin")
    assert home.status_code == 200
    out = await gateway.client.post(
        "/admin/logout", data={"csrf_token": gateway.csrf_of(home.text)}, follow_redirects=False
    )
    assert (out.status_code, out.headers["location"]) == (303, "/admin/login")
    after = await gateway.client.get("/admin", follow_redirects=False)
    assert after.status_code == 303


def test_a_profile_cookie_expires_and_cannot_be_forged() -> None:
    cookies = StaffCookies("key", secure=True)
    now = time.time()
    account = {
        "staff_id": "s1",
        "email": "a@b.c",
        "name": "A",
        "role": "manager",
        "venue_ids": ["v"],
    }
    profile = StaffProfile.from_login(StaffAccount.model_validate(account), now)
    value: Any = cookies.profile_cookie(profile).value
    assert cookies.profile(value, now) == profile
    assert cookies.profile(value, now + 13 * 3600) is None  # expired, whatever the browser kept
    assert StaffCookies("other", secure=True).profile(value, now) is None
    payload, _, mac = value.partition(".")
    assert cookies.profile(payload[::-1] + "." + mac, now) is None
    assert cookies.profile(cookies.csrf_cookie("x" * 20).value, now) is None


def test_next_only_leads_to_staff_pages_of_this_origin() -> None:
    assert safe_next("/admin/venues/v/offers?status=pending", "admin") == (
        "/admin/venues/v/offers?status=pending"
    )
    assert safe_next("/pos/venues/v", "pos") == "/pos/venues/v"
    for bad in (
        "https://evil.test/admin",
        "//evil.test/admin",
        "/t/token",
        "/admin/login",
        "/\\evil.test",
        "/administrator",
        "",
    ):
        assert safe_next(bad, "admin") == "/admin", bad


async def test_a_changed_or_closed_account_takes_effect_before_the_cookie_expires(
    gateway: Any, fake: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(staff, "ACCOUNT_CHECK_SECONDS", 0.0)  # ask pos-gateway every time
    await gateway.sign_in("manager@hotel.test")
    settings = f"/admin/venues/{gateway.venue}/settings"
    assert (await gateway.client.get(settings)).status_code == 200

    fake.accounts["manager@hotel.test"]["role"] = "cashier"
    assert (await gateway.client.get(settings, follow_redirects=False)).status_code == 403

    fake.accounts["manager@hotel.test"]["closed"] = True
    closed = await gateway.client.get("/admin", follow_redirects=False)
    assert closed.status_code == 303
    assert closed.headers["location"].startswith("/admin/login")
