"""A spot's QR code replaced from the back office (SPEC §1.1), in a real browser (the
distribution's Chromium driven by Playwright) against every service as its own process: the
manager confirms, sees the new QR code; a phone that scans the old one is told it is no longer
valid, one that scans the new one opens the table's page. Screenshots under
test-output/e2e/<test name>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.infra

PASSWORD = "a long enough password"  # noqa: S105 (the tests' own; the conftest's STAFF_PASSWORD)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


async def test_a_manager_replaces_a_qr_code_the_old_one_stops_working(
    venue_named: Any, staff_root: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    guest_venue = venue_named(staff_root.venue_id())
    spot = await guest_venue.set_up()
    old_url = guest_venue.guest_url
    owner = await staff_root.open_account("owner", [guest_venue.venue_id], name="Olivia")
    manager = await staff_root.open_account(
        "manager", [guest_venue.venue_id], name="Marc", opened_by=owner["header"]
    )

    # A guest's phone that had scanned the printed code: it worked.
    phone = await browser.watched_page(PHONE, "fr-FR")
    await phone.goto(old_url)
    await expect(phone.get_by_test_id("guest-page")).to_be_visible()

    office = await browser.watched_page(DESKTOP, "en-GB")
    asked: list[str] = []
    office.on("dialog", lambda dialog: asked.append(dialog.message))  # the page accepts it
    await office.goto(f"{guest_venue.gateway}/admin/venues/{guest_venue.venue_id}/spots")
    await office.get_by_test_id("login-email").fill(manager["email"])
    await office.get_by_test_id("login-password").fill(PASSWORD)
    await office.get_by_test_id("login-submit").click()
    row = office.locator(f'[data-testid="spot"][data-spot-id="{spot["spot_id"]}"]')
    await expect(row).to_contain_text("Table 7")
    await row.get_by_test_id("rotate-qr").click()

    # Asked first (a destructive post), then the new code is shown, ready to print.
    assert asked == ["Replace the QR code of Table 7? The printed one stops working at once."]
    await expect(office.get_by_test_id("flash")).to_have_text(
        "Table 7 has a new QR code: the old one no longer opens its page."
    )
    rotated = office.get_by_test_id("rotated-qr")
    await expect(rotated).to_contain_text("New QR code of Table 7")
    image = rotated.get_by_test_id("rotated-qr-image")
    await expect(image).to_be_visible()
    assert await image.evaluate("img => img.complete && img.naturalWidth > 0")
    new_url = await rotated.get_by_test_id("rotated-guest-url").get_attribute("href")
    assert new_url
    assert new_url != old_url
    await office.screenshot(path=str(screenshots / "1-new-qr-code.png"), full_page=True)

    # The old code: "no longer valid", for the phone that used it and any other.
    answer = await phone.goto(old_url)
    assert answer is not None
    assert answer.status == 410
    await expect(phone.get_by_test_id("problem-title")).to_have_text("Ce code n'est plus valable")
    await phone.screenshot(path=str(screenshots / "2-old-code.png"))
    stranger = await browser.watched_page(PHONE, "en-GB")
    answer = await stranger.goto(old_url)
    assert answer is not None
    assert answer.status == 410
    await expect(stranger.get_by_test_id("problem-title")).to_have_text(
        "This code is no longer valid"
    )

    # The new code opens the table's page.
    answer = await stranger.goto(new_url)
    assert answer is not None
    assert answer.status == 200
    await expect(stranger.get_by_test_id("guest-page")).to_be_visible()
    await expect(stranger.get_by_test_id("spot-name")).to_have_text("Table 7")
    await expect(stranger.get_by_test_id("add-form").first).to_be_visible()
    await stranger.screenshot(path=str(screenshots / "3-new-code.png"))
    for page in (phone, office, stranger):
        assert page.errors == [], page.errors
