"""The guest web app in a real browser: the distribution's Chromium driven by Playwright, one
browser context per phone (360 x 740), against every service as its own process on real Kafka
and PostgreSQL. Each scenario saves a screenshot of its final screen under
test-output/e2e/<test name>/."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from convive.runtime.testkit import DEADLINE

pytestmark = pytest.mark.infra


async def new_phone(browser: Any, locale: str = "fr-FR") -> Any:
    context = await browser.new_context(
        viewport={"width": 360, "height": 740}, locale=locale, device_scale_factor=1
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # checked at the end of each scenario: no script error
    return page


async def open_table(page: Any, url: str) -> dict[str, str]:
    from playwright.async_api import expect

    await page.goto(url)
    await expect(page.get_by_test_id("guest-page")).to_be_visible()
    body = page.locator("body")
    return {
        "role": await body.get_attribute("data-role") or "",
        "session": await body.get_attribute("data-session") or "",
        "guest": await body.get_attribute("data-guest") or "",
    }


async def add(page: Any, product: str, lines_after: int) -> None:
    from playwright.async_api import expect

    await page.get_by_test_id(f"add-{product}").click()
    await expect(page.get_by_test_id("cart-line")).to_have_count(lines_after)


def line(page: Any, name: str) -> Any:
    return page.get_by_test_id("cart-line").filter(has_text=name)


async def scroll_to(page: Any, testid: str) -> None:
    """Bring a part of the page into view for the screenshot, in one step in the page: a live
    update may swap that part between Playwright's look-up and its scroll."""
    await page.evaluate(
        'id => document.querySelector(`[data-testid="${id}"]`)?.scrollIntoView()', testid
    )


async def finish(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
    await page.screenshot(path=str(folder / f"{name}-full.png"), full_page=True)
    assert page.errors == [], page.errors


async def test_simple_order_is_seen_validated_without_reload(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up()
    a = await new_phone(browser, "fr-FR")
    me = await open_table(a, guest_venue.guest_url)
    assert me["role"] == "host"
    await expect(a.get_by_test_id("pin")).to_have_text(re.compile(r"^\d{4,8}$"))

    await add(a, "croque", 1)
    await add(a, "mousse", 2)
    await expect(a.get_by_test_id("cart-total")).to_contain_text("20,00")
    await expect(line(a, "Croque-monsieur").get_by_test_id("line-who")).to_have_text(
        "ajouté par vous"
    )
    await a.get_by_test_id("confirm").click()
    round_one = a.locator('[data-testid="round"][data-round="1"]')
    await expect(round_one).to_have_attribute("data-status", "sent")
    await expect(a.get_by_test_id("cart-empty")).to_be_visible()

    await guest_venue.validate_round(me["session"], 1)
    # No reload: the POS's validation arrives by the live stream.
    await expect(round_one).to_have_attribute("data-status", "in_production")
    await expect(round_one.get_by_test_id("round-status")).to_have_text("Validé · en préparation")
    await expect(a.get_by_test_id("notices")).to_contain_text("Envoi 1")
    await scroll_to(a, "rounds")
    await finish(a, screenshots, "simple-order")


async def test_group_sees_each_others_adds_live(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up()
    a = await new_phone(browser, "fr-FR")
    b = await new_phone(browser, "en-GB")
    c = await new_phone(browser, "fr-FR")
    # Joining order makes the labels: A is guest 1 (host), B guest 2, C guest 3.
    roles = [(await open_table(p, guest_venue.guest_url))["role"] for p in (a, b, c)]
    assert roles == ["host", "guest", "guest"]

    await add(a, "croque", 1)
    await expect(line(b, "Croque-monsieur")).to_contain_text("added by guest 1")
    await expect(line(c, "Croque-monsieur")).to_contain_text("ajouté par convive 1")
    await expect(b.get_by_test_id("notices")).to_contain_text("Guest 1 added Croque-monsieur")

    await add(b, "salade", 2)
    await expect(line(a, "Salade niçoise")).to_contain_text("ajouté par convive 2")
    await expect(line(c, "Salade niçoise")).to_contain_text("ajouté par convive 2")
    await expect(c.get_by_test_id("notices")).to_contain_text("Convive 2 a ajouté Salade niçoise")

    await add(c, "mousse", 3)
    await expect(line(a, "Mousse au chocolat")).to_contain_text("ajouté par convive 3")
    await expect(line(b, "Chocolate mousse")).to_contain_text("added by guest 3")

    # A change and a removal travel too.
    await line(c, "Mousse au chocolat").get_by_test_id("increase").click()
    await expect(line(a, "Mousse au chocolat").get_by_test_id("line-quantity")).to_have_text("2")
    await line(b, "Niçoise salad").get_by_test_id("remove").click()
    for page in (a, b, c):
        await expect(page.get_by_test_id("cart-line")).to_have_count(2)
    await expect(b.get_by_test_id("cart-total")).to_contain_text("€27.50")
    for name, page in (("a", a), ("b", b), ("c", c)):
        await scroll_to(page, "cart")
        await finish(page, screenshots, f"group-{name}")


async def test_recall_shows_round_one_read_only_and_adds_round_two(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up()
    a = await new_phone(browser, "en-GB")
    me = await open_table(a, guest_venue.guest_url)
    await add(a, "croque", 1)
    await a.get_by_test_id("confirm").click()
    await expect(a.locator('[data-testid="round"][data-round="1"]')).to_be_visible()
    await guest_venue.validate_round(me["session"], 1)
    await a.close()

    # A comes back later (same phone: same cookies) and scans again.
    back = await a.context.new_page()
    back.errors = []
    back.on("pageerror", lambda exc: back.errors.append(str(exc)))
    again = await open_table(back, guest_venue.guest_url)
    assert again["guest"] == me["guest"]
    round_one = back.locator('[data-testid="round"][data-round="1"]')
    await expect(round_one).to_have_attribute("data-status", "in_production")
    await expect(round_one.get_by_role("button")).to_have_count(0)  # read-only
    await add(back, "mousse", 1)
    await back.get_by_test_id("confirm").click()
    round_two = back.locator('[data-testid="round"][data-round="2"]')
    await expect(round_two).to_have_attribute("data-status", "sent")
    await expect(round_two).to_contain_text("Chocolate mousse")
    await expect(back.get_by_test_id("order-total")).to_contain_text("€20.00")
    await scroll_to(back, "rounds")
    await finish(back, screenshots, "recall")


async def test_late_joiner_needs_the_pin_then_joins(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up()
    a1 = await new_phone(browser, "en-GB")
    await open_table(a1, guest_venue.guest_url)
    pin = (await a1.get_by_test_id("pin").inner_text()).strip()
    await add(a1, "croque", 1)
    await a1.get_by_test_id("confirm").click()
    await expect(a1.locator('[data-testid="round"][data-round="1"]')).to_be_visible()

    a2 = await new_phone(browser, "en-GB")
    late = await seen_as_viewer(a2, guest_venue.guest_url)
    assert late["role"] == "viewer", "a late joiner must be asked for the PIN"
    await expect(a2.get_by_test_id("viewer-reason")).to_have_attribute(
        "data-reason", "pin_required"
    )
    await expect(a2.get_by_test_id("menu")).to_be_visible()
    await expect(a2.get_by_test_id("add-form")).to_have_count(0)  # the menu only
    await a2.get_by_label("PIN", exact=True).fill(pin)
    await a2.get_by_test_id("pin-submit").click()
    await expect(a2.locator("body")).to_have_attribute("data-role", "guest")
    await expect(a2.locator('[data-testid="round"][data-round="1"]')).to_be_visible()
    await add(a2, "mousse", 1)
    await expect(line(a1, "Chocolate mousse")).to_contain_text("added by guest 2")
    await finish(a2, screenshots, "late-joiner")


async def test_five_wrong_pins_lock_the_phone_the_right_pin_elsewhere_works(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up()
    host = await new_phone(browser, "en-GB")
    await open_table(host, guest_venue.guest_url)
    pin = (await host.get_by_test_id("pin").inner_text()).strip()
    await add(host, "croque", 1)
    await host.get_by_test_id("confirm").click()
    await expect(host.locator('[data-testid="round"][data-round="1"]')).to_be_visible()
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"

    intruder = await new_phone(browser, "fr-FR")
    late = await seen_as_viewer(intruder, guest_venue.guest_url)
    assert late["role"] == "viewer", "a late joiner must be asked for the PIN"
    for tries_left in (4, 3, 2, 1):
        await intruder.get_by_label("Code", exact=True).fill(wrong)
        await intruder.get_by_test_id("pin-submit").click()
        await expect(intruder.get_by_test_id("flash")).to_contain_text(f"Encore {tries_left} essai")
    await intruder.get_by_label("Code", exact=True).fill(wrong)
    await intruder.get_by_test_id("pin-submit").click()
    locked = intruder.get_by_test_id("viewer-reason")
    await expect(locked).to_have_attribute("data-reason", "locked_out")
    await expect(locked).to_contain_text("Trop de codes erronés")
    await expect(intruder.get_by_test_id("pin-form")).to_have_count(0)

    friend = await new_phone(browser, "en-GB")
    await open_table(friend, guest_venue.guest_url)
    await friend.get_by_label("PIN", exact=True).fill(pin)
    await friend.get_by_test_id("pin-submit").click()
    await expect(friend.locator("body")).to_have_attribute("data-role", "guest")
    await finish(intruder, screenshots, "locked-out")
    await finish(friend, screenshots, "right-pin")


async def seen_as(page: Any, url: str, wanted: Callable[[str], bool]) -> dict[str, str]:
    """Open the page until its role is `wanted` (table-session learns of what another service
    did from its events, a moment later), within the live deadline; the last page seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while True:
        seen = await open_table(page, url)
        if wanted(seen["role"]) or loop.time() > deadline:
            return seen
        await asyncio.sleep(0.25)


async def seen_as_viewer(page: Any, url: str) -> dict[str, str]:
    """Open the page until the scan answers viewer: table-session learns of a confirmation from
    ordering's events, a moment later."""
    return await seen_as(page, url, lambda role: role == "viewer")


async def pay_through_provider(page: Any, token: str) -> None:
    """From the guest page: the pay button, the provider's hosted page, back to the table."""
    from playwright.async_api import expect

    await page.get_by_test_id("pay").click()
    await page.wait_for_url(re.compile(r"/pay/"))
    await expect(page.get_by_role("button", name="Payer / Pay")).to_be_visible()
    await page.get_by_role("button", name="Payer / Pay").click()
    await page.wait_for_url(re.compile(rf"/t/{re.escape(token)}\?.*status=paid"))
    await expect(page.get_by_test_id("guest-page")).to_be_visible()


async def test_new_party_sees_the_menu_until_the_bill_is_paid_then_opens_a_session(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up()
    a = await new_phone(browser, "en-GB")
    first = await open_table(a, guest_venue.guest_url)
    assert first["role"] == "host"
    await add(a, "croque", 1)
    await a.get_by_test_id("confirm").click()
    await expect(a.locator('[data-testid="round"][data-round="1"]')).to_be_visible()

    # B, a new party, sits down while A's bill is open: the menu only, and why.
    b = await new_phone(browser, "fr-FR")
    seen = await seen_as_viewer(b, guest_venue.guest_url)
    assert seen["role"] == "viewer", seen
    assert seen["session"] == ""
    reason = b.get_by_test_id("viewer-reason")
    assert await reason.get_attribute("data-reason") in ("pin_required", "previous_bill_open")
    await expect(reason).not_to_be_empty()
    await expect(b.get_by_test_id("menu")).to_be_visible()
    await expect(b.get_by_test_id("add-form")).to_have_count(0)
    await expect(b.get_by_test_id("cart")).to_have_count(0)
    await b.screenshot(path=str(screenshots / "new-party-b-viewer.png"))

    # A's table pays at the till; A's page hears it live.
    await guest_venue.pay_at_till(first["session"])
    await expect(a.get_by_test_id("bill-paid")).to_be_visible()

    # B's next scan, once the spot is released, opens a new session with B as host.
    again = await seen_as(b, guest_venue.guest_url, lambda role: role != "viewer")
    assert again["role"] == "host", again
    assert again["session"]
    assert again["session"] != first["session"]
    await expect(b.get_by_test_id("pin")).to_have_text(re.compile(r"^\d{4,8}$"))
    await expect(b.get_by_test_id("viewer-reason")).to_have_count(0)
    await expect(b.get_by_test_id("cart-empty")).to_be_visible()
    await add(b, "mousse", 1)
    assert (await guest_venue.spot_status())["session_id"] == again["session"]
    await scroll_to(a, "bill")
    await finish(a, screenshots, "new-party-a-paid")
    await scroll_to(b, "cart")
    await finish(b, screenshots, "new-party-b-host")


async def test_menu_mode_offers_no_cart(guest_venue: Any, browser: Any, screenshots: Path) -> None:
    from playwright.async_api import expect

    await guest_venue.set_up(mode="menu")
    phone = await new_phone(browser, "fr-FR")
    seen = await open_table(phone, guest_venue.guest_url)
    assert seen == {"role": "viewer", "session": "", "guest": ""}
    await expect(phone.locator("body")).to_have_attribute("data-mode", "menu")
    reason = phone.get_by_test_id("viewer-reason")
    await expect(reason).to_have_attribute("data-reason", "menu_only")
    await expect(reason).to_contain_text("Consultez le menu ici")
    await expect(phone.get_by_test_id("menu")).to_be_visible()
    await expect(phone.get_by_test_id("product")).to_have_count(4)
    await expect(phone.get_by_test_id("add-form")).to_have_count(0)
    await expect(phone.get_by_test_id("cart")).to_have_count(0)
    await expect(phone.get_by_test_id("cart-bar")).to_have_count(0)
    await expect(phone.get_by_test_id("pin-form")).to_have_count(0)
    await expect(phone.get_by_test_id("pay")).to_have_count(0)
    # No session was opened: the spot stays free.
    spot = await guest_venue.spot_status()
    assert spot["status"] == "free"
    assert spot["session_id"] is None
    await finish(phone, screenshots, "menu-mode")


async def test_pay_mode_settles_the_open_bill_through_the_payment_double(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    from convive.runtime.testkit import eventually

    # The bill was opened while the profit centre took orders from phones...
    await guest_venue.set_up(mode="order")
    a = await new_phone(browser, "en-GB")
    first = await open_table(a, guest_venue.guest_url)
    await add(a, "croque", 1)
    await add(a, "mousse", 2)
    await a.get_by_test_id("confirm").click()
    await expect(a.locator('[data-testid="round"][data-round="1"]')).to_be_visible()
    # ...then the venue switched it to pay-only.
    await guest_venue.configure("pay")

    payer = await new_phone(browser, "fr-FR")
    seen = await open_table(payer, guest_venue.guest_url)
    assert seen["role"] in ("host", "guest"), seen
    assert seen["session"] == first["session"]
    await expect(payer.locator("body")).to_have_attribute("data-mode", "pay")
    await expect(payer.get_by_test_id("menu")).to_have_count(0)
    await expect(payer.get_by_test_id("cart")).to_have_count(0)
    await expect(payer.get_by_test_id("add-form")).to_have_count(0)
    await expect(payer.get_by_test_id("rounds")).to_contain_text("Croque-monsieur")
    await expect(payer.get_by_test_id("order-total")).to_contain_text("20,00")
    await expect(payer.get_by_test_id("pay")).to_contain_text("20,00")

    await pay_through_provider(payer, guest_venue.spot["token"])
    await expect(payer.get_by_test_id("flash")).to_contain_text("Paiement reçu")
    await expect(payer.get_by_test_id("bill-paid")).to_be_visible()
    await expect(payer.get_by_test_id("pay")).to_have_count(0)
    await expect(a.get_by_test_id("bill-paid")).to_be_visible()

    async def spot_free() -> bool:
        return (await guest_venue.spot_status())["status"] == "free"

    await eventually(spot_free)
    await finish(payer, screenshots, "pay-mode")


async def test_order_and_pay_mode_confirms_then_pays_from_the_phone(
    guest_venue: Any, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    from convive.runtime.testkit import eventually

    await guest_venue.set_up(mode="order_and_pay")
    a = await new_phone(browser, "en-GB")
    me = await open_table(a, guest_venue.guest_url)
    assert me["role"] == "host"
    await expect(a.get_by_test_id("pay")).to_have_count(0)  # nothing to pay yet
    await add(a, "salade", 1)
    await a.get_by_test_id("confirm").click()
    await expect(a.locator('[data-testid="round"][data-round="1"]')).to_be_visible()
    # Paid before the staff validated the round: allowed in this mode.
    await expect(a.get_by_test_id("pay")).to_contain_text("€14.00")

    await pay_through_provider(a, guest_venue.spot["token"])
    await expect(a.get_by_test_id("flash")).to_contain_text("Payment received")
    await expect(a.get_by_test_id("bill-paid")).to_be_visible()
    await expect(a.get_by_test_id("pay")).to_have_count(0)

    async def spot_free() -> bool:
        return (await guest_venue.spot_status())["status"] == "free"

    await eventually(spot_free)
    await scroll_to(a, "bill")
    await finish(a, screenshots, "order-and-pay")
