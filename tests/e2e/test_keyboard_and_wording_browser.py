"""What a guest finds with the keyboard alone, and words the pages must get right, in a real
browser (the distribution's Chromium driven by Playwright) against every service as its own
process: the fixed cart bar never covers what has the focus (WCAG 2.2, 2.4.11), "Confirm
order" included; the focus stays on "Add" and the change is announced; a room's page calls
its PIN the room's; staff pages write times one way, in the venue's time zone. Each scenario
saves screenshots under test-output/e2e/<test name>/."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from convive.runtime.testkit import DEADLINE

pytestmark = pytest.mark.infra

PHONE = {"width": 360, "height": 740}
TABLET = {"width": 1024, "height": 768}
PASSWORD = "a long enough password"  # noqa: S105 (the tests' own; the conftest's STAFF_PASSWORD)
VENUE_ZONE = ZoneInfo("Europe/Paris")  # the venue's time zone when its settings name none

FOCUS = """() => {
    const focused = document.activeElement;
    const bar = document.querySelector('[data-testid="cart-bar"]');
    if (!focused || focused === document.body) return null;
    const box = focused.getBoundingClientRect();
    const barBox = bar ? bar.getBoundingClientRect() : null;
    return {
        testid: focused.dataset.testid || focused.id || focused.tagName,
        inBar: Boolean(bar && bar.contains(focused)),
        top: box.top, bottom: box.bottom, height: box.height,
        barTop: barBox ? barBox.top : window.innerHeight,
        viewport: window.innerHeight,
    };
}"""


async def open_table(page: Any, url: str) -> None:
    from playwright.async_api import expect

    await page.goto(url)
    await expect(page.get_by_test_id("guest-page")).to_be_visible()


async def add(page: Any, product: str, lines_after: int) -> None:
    from playwright.async_api import expect

    await page.get_by_test_id(f"add-{product}").click()
    await expect(page.get_by_test_id("cart-line")).to_have_count(lines_after)


async def shot(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


async def focused_testid(page: Any) -> str | None:
    found = await page.evaluate("document.activeElement?.dataset?.testid || null")
    return str(found) if found else None


async def test_the_cart_bar_never_covers_what_the_keyboard_focuses(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    await guest_venue.set_up()
    phone = await browser.watched_page(PHONE, "en-GB")
    await open_table(phone, guest_venue.guest_url)
    for n, product in enumerate(("croque", "salade", "mousse"), start=1):
        await add(phone, product, n)

    # From the top of the page, the keyboard alone: every stop is above the cart bar. A page
    # loaded afresh starts the keyboard at its top (a blur would leave Chromium's starting
    # point on the last "Add").
    await open_table(phone, guest_venue.guest_url)
    seen: list[str] = []
    covered: list[dict[str, Any]] = []
    for step in range(60):
        await phone.keyboard.press("Tab")
        await phone.wait_for_timeout(50)  # the browser's and the page's scrolling
        focus = await phone.evaluate(FOCUS)
        if focus is None:
            continue
        seen.append(focus["testid"])
        if not focus["inBar"] and (focus["bottom"] > focus["barTop"] + 0.5 or focus["top"] < 0):
            covered.append(focus)
        if focus["testid"] in ("confirm", "decrease", "add-mousse"):
            await shot(phone, screenshots, f"focus-{step:02d}-{focus['testid']}")
        if focus["inBar"]:
            break
    assert "confirm" in seen, seen
    assert "add-mousse" in seen, seen
    assert seen.count("remove") == 3, seen
    assert covered == [], covered

    # Shift+Tab back up from the bar: the same, the other way.
    for _ in range(6):
        await phone.keyboard.press("Shift+Tab")
        await phone.wait_for_timeout(50)
        focus = await phone.evaluate(FOCUS)
        assert focus is not None
        assert focus["inBar"] or focus["bottom"] <= focus["barTop"] + 0.5, focus
    await shot(phone, screenshots, "back-up")
    assert phone.errors == [], phone.errors


async def test_after_add_the_focus_stays_and_the_change_is_announced(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up()
    phone = await browser.watched_page(PHONE, "fr-FR")
    await open_table(phone, guest_venue.guest_url)

    await phone.get_by_test_id("add-mousse").focus()
    await phone.keyboard.press("Enter")
    await expect(phone.get_by_test_id("cart-line")).to_have_count(1)
    notices = phone.get_by_test_id("notices")
    await expect(notices).to_contain_text("Mousse au chocolat ajouté au panier")
    await expect(notices).to_have_attribute("aria-live", "polite")
    assert await focused_testid(phone) == "add-mousse"
    focus = await phone.evaluate(FOCUS)
    assert focus["bottom"] <= focus["barTop"] + 0.5, focus  # the notice covers it no more
    await shot(phone, screenshots, "1-added-focus-kept")

    await phone.get_by_test_id("add-croque").focus()
    await phone.keyboard.press("Enter")
    await expect(phone.get_by_test_id("cart-line")).to_have_count(2)
    assert await focused_testid(phone) == "add-croque"

    # One more, with the keyboard: the focus stays on that line's "+".
    line = phone.get_by_test_id("cart-line").filter(has_text="Mousse au chocolat")
    await line.get_by_test_id("increase").focus()
    await phone.keyboard.press("Enter")
    await expect(line.get_by_test_id("line-quantity")).to_have_text("2")
    assert await focused_testid(phone) == "increase"
    focused_line = await phone.evaluate(
        "document.activeElement.closest('[data-testid=cart-line]').textContent"
    )
    assert "Mousse au chocolat" in focused_line

    # A line removed: its buttons are gone, the focus goes to the cart, not to the page.
    await line.get_by_test_id("remove").focus()
    await phone.keyboard.press("Enter")
    await expect(phone.get_by_test_id("cart-line")).to_have_count(1)
    assert await phone.evaluate("document.activeElement.id") == "cart-title"

    # Confirmed: the cart is empty (its button disabled), the focus goes to the round sent.
    await phone.get_by_test_id("confirm").focus()
    await phone.keyboard.press("Enter")
    await expect(phone.locator('[data-testid="round"][data-round="1"]')).to_be_visible()
    assert await phone.evaluate("document.activeElement.id") == "rounds-title"
    await shot(phone, screenshots, "2-confirmed-focus-on-round")
    assert phone.errors == [], phone.errors


async def test_a_rooms_page_calls_its_pin_the_rooms(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up(kind="room")
    english = await browser.watched_page(PHONE, "en-GB")
    await open_table(english, guest_venue.guest_url)
    pin_box = english.get_by_test_id("pin-box")
    await expect(pin_box.get_by_role("heading")).to_have_text("Room PIN")
    await expect(pin_box).not_to_contain_text("Table")
    await shot(english, screenshots, "room-pin-en")
    french = await browser.watched_page(PHONE, "fr-FR")
    await french.context.add_cookies(await english.context.cookies())  # the same phone
    await open_table(french, f"{guest_venue.guest_url}?lang=fr")
    await expect(french.get_by_test_id("pin-box").get_by_role("heading")).to_have_text(
        "Code de la chambre"
    )
    await shot(french, screenshots, "room-pin-fr")
    assert english.errors == [], english.errors
    assert french.errors == [], french.errors


def venue_time(iso: str) -> str:
    """`HH:MM` of a service's moment in the venue's time zone."""
    return datetime.fromisoformat(iso).astimezone(VENUE_ZONE).strftime("%H:%M")


async def test_staff_pages_write_times_one_way_in_the_venues_time_zone(
    venue_named: Any, staff_root: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    guest_venue = venue_named(staff_root.venue_id())
    await guest_venue.set_up()
    owner = await staff_root.open_account("owner", [guest_venue.venue_id], name="Olivia")
    phone = await browser.watched_page(PHONE, "en-GB")
    await open_table(phone, guest_venue.guest_url)
    await add(phone, "croque", 1)
    await phone.get_by_test_id("confirm").click()
    await expect(phone.locator('[data-testid="round"][data-round="1"]')).to_be_visible()

    # The back office: a pairing code (valid until HH:MM), the till then paired with it.
    office = await browser.watched_page(TABLET, "en-US")  # a browser that says "1:25 PM"
    await office.goto(f"{guest_venue.gateway}/admin/venues/{guest_venue.venue_id}/devices")
    await office.get_by_test_id("login-email").fill(owner["email"])
    await office.get_by_test_id("login-password").fill(PASSWORD)
    await office.get_by_test_id("login-submit").click()
    await office.get_by_test_id("new-pairing-code").click()
    code = (await office.get_by_test_id("pairing-code").inner_text()).strip()
    expires = await office.get_by_test_id("pairing").locator("time").get_attribute("datetime")
    assert expires
    await expect(office.get_by_test_id("pairing")).to_contain_text(venue_time(expires))

    till = await browser.watched_page(TABLET, "en-US")
    await till.goto(f"{guest_venue.gateway}/pos")
    await till.get_by_test_id("pair-code").fill(code)
    await till.get_by_test_id("pair-name").fill("Bar till")
    await till.get_by_test_id("pair-submit").click()
    await till.get_by_test_id("login-email").fill(owner["email"])
    await till.get_by_test_id("login-password").fill(PASSWORD)
    await till.get_by_test_id("login-submit").click()
    item = till.get_by_test_id("order-item")
    await expect(item).to_have_count(1)
    placed = item.locator("time")
    iso = await placed.get_attribute("datetime")
    assert iso
    await expect(placed).to_have_text(venue_time(iso))
    await shot(till, screenshots, "1-console-times")

    await office.reload()
    paired = office.get_by_test_id("device").filter(has_text="Bar till")
    await expect(paired).to_have_count(1)
    async with httpx.AsyncClient(base_url=guest_venue.pos, timeout=DEADLINE) as http:
        devices = await http.get(
            f"/venues/{guest_venue.venue_id}/devices",
            headers=owner["header"],
        )
    paired_at = next(d["paired_at"] for d in devices.json() if d["name"] == "Bar till")
    await expect(paired).to_contain_text(venue_time(paired_at))
    await shot(office, screenshots, "2-back-office-times")

    for page in (till, office):
        text = await page.locator("body").inner_text()
        assert not re.search(r"\d{1,2}:\d\d\s?[AP]M", text), "one style: 13:25, never 01:25 PM"
    assert till.errors == [], till.errors
    assert office.errors == [], office.errors
