"""A POS device revoked from the back office, in real browsers (the distribution's Chromium
driven by Playwright) against the real services on the session's shared platform: the owner
issues a pairing code on the Devices page, a till is paired with it and a cashier signs in;
the owner revokes the till on the same page; the till is told at once, its calls are refused,
and it must pair again. Screenshots under test-output/e2e/<test name>/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.infra

PASSWORD = "a long enough password"  # noqa: S105 (the tests' own; the conftest's STAFF_PASSWORD)
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 1024, "height": 768}


async def sign_in(page: Any, email: str) -> None:
    await page.get_by_test_id("login-email").fill(email)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()


async def test_a_till_revoked_from_the_back_office_is_told_refused_and_must_pair_again(
    venue_named: Any, staff_root: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    place = venue_named(staff_root.venue_id())
    await place.set_up()
    owner = await staff_root.open_account("owner", [place.venue_id], name="Olivia")
    cashier = await staff_root.open_account(
        "cashier", [place.venue_id], name="Rémi", opened_by=owner["header"]
    )
    devices_page = f"{place.gateway}/admin/venues/{place.venue_id}/devices"

    # The owner issues a pairing code on the Devices page.
    office = await browser.watched_page(DESKTOP, "en-GB")
    await office.goto(devices_page)
    await sign_in(office, owner["email"])
    await office.get_by_test_id("new-pairing-code").click()
    code = office.get_by_test_id("pairing-code")
    await expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))

    # A till is paired with it, and the cashier signs in on it.
    till = await browser.watched_page(TABLET, "en-GB")
    await till.goto(f"{place.gateway}/pos")
    await till.get_by_test_id("pair-code").fill(await code.inner_text())
    await till.get_by_test_id("pair-name").fill("Terrace till")
    await till.get_by_test_id("pair-submit").click()
    await expect(till.get_by_test_id("login-page")).to_be_visible()
    await sign_in(till, cashier["email"])
    await expect(till.get_by_test_id("pos-console")).to_be_visible()
    await expect(till.get_by_test_id("live-state")).to_have_attribute("data-state", "live")
    device_id = await till.evaluate("document.body.dataset.device")
    fragment = f"{place.gateway}/pos/fragments/orders"
    fetch = {"x-requested-with": "fetch"}
    assert (await till.context.request.get(fragment, headers=fetch)).status == 200

    # The owner revokes it from the Devices page.
    await office.goto(devices_page)
    row = office.locator(f'[data-testid="device"][data-device-id="{device_id}"]')
    await expect(row).to_contain_text("Terrace till")
    await expect(row).to_contain_text("Active")
    await office.screenshot(path=str(screenshots / "1-devices.png"), full_page=True)
    await row.get_by_role("button", name="Revoke Terrace till").click()
    await expect(office.get_by_test_id("flash")).to_have_text("Terrace till revoked.")
    await expect(row).to_contain_text("Revoked")
    await expect(row.get_by_role("button")).to_have_count(0)
    await office.screenshot(path=str(screenshots / "2-revoked.png"), full_page=True)

    # The till is told without a reload, and every call it makes is refused.
    revoked = till.get_by_test_id("revoked")
    await expect(revoked).to_be_visible()
    await expect(revoked).to_contain_text("This device was revoked")
    await expect(till.get_by_test_id("live-state")).to_have_attribute("data-state", "revoked")
    await till.screenshot(path=str(screenshots / "3-till-told.png"))
    refused = await till.context.request.get(fragment, headers=fetch)
    assert refused.status == 401
    assert (await refused.json())["reason"] == "device_revoked"
    stream = await till.context.request.get(f"{place.gateway}/events/venues/{place.venue_id}")
    assert stream.status == 401, await stream.text()
    status = await till.context.request.get(f"{place.gateway}/pos/device")
    assert (await status.json())["revoked"] is True

    # It must pair again: the console sends it to the pairing page, which says why.
    await till.get_by_test_id("pair-again").click()
    await expect(till.get_by_test_id("pos-pair-page")).to_be_visible()
    await expect(till.get_by_test_id("pair-revoked")).to_be_visible()
    status = await till.context.request.get(f"{place.gateway}/pos/device")
    assert (await status.json())["paired"] is False
    await till.screenshot(path=str(screenshots / "4-pair-again.png"))
    assert office.errors == [], office.errors
    assert till.errors == [], till.errors
