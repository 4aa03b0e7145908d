"""The POS console in a real browser (the distribution's Chromium driven by Playwright) against
every service as its own process on real Kafka and PostgreSQL: a console paired with a code
that pos-gateway issued, a cashier signed in, guests ordering from their phones in other browser
contexts. Each scenario saves screenshots under test-output/e2e/<test name>/."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from convive.cli.platform import Platform
from convive.runtime.testkit import DEADLINE

pytestmark = pytest.mark.infra

PASSWORD = "a long enough password"  # noqa: S105 (the tests' own; the conftest's STAFF_PASSWORD)
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 360, "height": 740}


class Staff:
    """The staff accounts of the module's venues, opened over pos-gateway's API: their owner by
    the shared platform's first account (`staff_root`), the cashiers by that owner."""

    def __init__(self, platform: Platform, staff_root: Any) -> None:
        self.pos = platform.url("pos-gateway")
        self.staff_root = staff_root
        self.venues = {name: staff_root.venue_id() for name in VENUE_NAMES}
        self.owner = ""
        self.emails: dict[str, str] = {}

    async def open(self) -> None:
        owner = await self.staff_root.open_account(
            "owner", list(self.venues.values()), name="Olivia"
        )
        self.owner = owner["staff_id"]
        for name, venue in CASHIERS:
            cashier = await self.staff_root.open_account(
                "cashier", [self.venues[venue]], name=name, opened_by=self.as_owner
            )
            self.emails[name] = cashier["email"]

    @property
    def as_owner(self) -> dict[str, str]:
        return {"X-Convive-Staff": self.owner}

    async def pairing_code(self, venue: str) -> str:
        """A code as a manager gets it in the back office (pos-gateway's API)."""
        async with httpx.AsyncClient(base_url=self.pos, timeout=DEADLINE) as http:
            answer = await http.post(
                f"/venues/{self.venues[venue]}/pairing-codes", headers=self.as_owner
            )
            assert answer.status_code == 201, answer.text
            code = str(answer.json()["code"])
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
        return code

    async def revoke(self, device_id: str) -> None:
        async with httpx.AsyncClient(base_url=self.pos, timeout=DEADLINE) as http:
            answer = await http.post(f"/devices/{device_id}/revoke", headers=self.as_owner)
            assert answer.status_code == 200, answer.text


VENUE_NAMES = ("main", "race", "revoke")
CASHIERS = (("Camille", "main"), ("Ana", "race"), ("Bruno", "race"), ("Rémi", "revoke"))
"""The cashiers (their e-mail addresses are made unique: the platform is the session's)."""


@pytest.fixture(scope="module")
async def staff(shared_platform: Platform, staff_root: Any) -> Staff:
    accounts = Staff(shared_platform, staff_root)
    await accounts.open()
    return accounts


async def venue(venue_named: Callable[[str], Any], staff: Staff, name: str) -> Any:
    """The venue of a staff account set up (spot "Table 7", the guest menu)."""
    place = venue_named(staff.venues[name])
    await place.set_up()
    return place


async def new_browser_page(browser: Any, viewport: dict[str, int], locale: str) -> Any:
    """A page in a browser context of its own (its own cookies: a device of its own)."""
    context = await browser.new_context(viewport=viewport, locale=locale, device_scale_factor=1)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # checked at the end of each scenario: no script error
    return page


async def new_phone(browser: Any, locale: str) -> Any:
    return await new_browser_page(browser, PHONE, locale)


async def open_table(page: Any, url: str) -> dict[str, str]:
    from playwright.async_api import expect

    await page.goto(url)
    await expect(page.get_by_test_id("guest-page")).to_be_visible()
    return {"role": await page.locator("body").get_attribute("data-role") or ""}


async def add(page: Any, product: str, lines_after: int) -> None:
    from playwright.async_api import expect

    await page.get_by_test_id(f"add-{product}").click()
    await expect(page.get_by_test_id("cart-line")).to_have_count(lines_after)


async def scroll_to(page: Any, testid: str) -> None:
    await page.evaluate(
        'id => document.querySelector(`[data-testid="${id}"]`)?.scrollIntoView()', testid
    )


async def finish(page: Any, folder: Path, name: str) -> None:
    await shot(page, folder, name)
    assert page.errors == [], page.errors


async def pair_and_sign_in(
    page: Any, gateway: str, code: str, device_name: str, email: str
) -> None:
    """What staff do on a new till: the pairing code, the device's name, then their login."""
    from playwright.async_api import expect

    await page.goto(f"{gateway}/pos")
    await expect(page.get_by_test_id("pos-pair-page")).to_be_visible()
    await page.get_by_test_id("pair-code").fill(code)
    await page.get_by_test_id("pair-name").fill(device_name)
    await page.get_by_test_id("pair-submit").click()
    # Paired: nobody is signed in yet, so the POS login page, then back to the console.
    await expect(page.get_by_test_id("login-page")).to_be_visible()
    await page.get_by_test_id("login-email").fill(email)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("pos-console")).to_be_visible()
    await expect(page.get_by_test_id("device-name")).to_contain_text(device_name)
    await expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")


async def open_order(console: Any, spot: str) -> Any:
    """Wait for the spot's order to arrive in the list (live), open it; its detail."""
    from playwright.async_api import expect

    item = console.get_by_test_id("order-item").filter(has_text=spot)
    await expect(item).to_have_count(1)
    await item.locator("a").click()
    detail = console.get_by_test_id("order-detail")
    await expect(detail.get_by_test_id("order-title")).to_contain_text(spot)
    return detail


def round_of(page: Any, number: int) -> Any:
    return page.locator(f'[data-testid="round"][data-round="{number}"]')


async def shot(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
    await page.screenshot(path=str(folder / f"{name}-full.png"), full_page=True)


async def test_console_amends_rejects_validates_and_settles_an_order_in_two_parts(
    venue_named: Callable[[str], Any], staff: Staff, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    place = await venue(venue_named, staff, "main")
    console = await new_browser_page(browser, TABLET, "fr-FR")
    await pair_and_sign_in(
        console,
        place.gateway,
        await staff.pairing_code("main"),
        "Caisse du comptoir",
        staff.emails["Camille"],
    )
    await expect(console.get_by_test_id("staff-name")).to_contain_text("Camille")
    await expect(console.get_by_test_id("no-orders")).to_be_visible()

    # A guest orders from a phone: the order reaches the console without a reload.
    phone = await new_phone(browser, "en-GB")
    guest = await open_table(phone, place.guest_url)
    await add(phone, "croque", 1)
    await add(phone, "mousse", 2)
    await phone.get_by_test_id("confirm").click()
    await expect(round_of(phone, 1)).to_have_attribute("data-status", "sent")
    detail = await open_order(console, "Table 7")
    one = round_of(console, 1)
    await expect(one).to_have_attribute("data-status", "pending")
    await expect(one.get_by_test_id("round-line")).to_have_count(2)
    await expect(detail.get_by_test_id("order-pin")).to_contain_text(re.compile(r"\d{6}"))
    await shot(console, screenshots, "1-new-order")

    # Amend round 1: two croques instead of one; the guest's page shows it live.
    await one.get_by_test_id("amend").locator("summary").click()
    croque = one.locator(".amend-line").filter(has_text="Croque-monsieur")
    await croque.get_by_test_id("amend-qty").fill("2")
    await one.get_by_test_id("amend-guest-note").fill("Deux croques, comme demandé au serveur")
    await shot(console, screenshots, "2-amending")
    await one.get_by_test_id("amend-submit").click()
    await expect(detail.get_by_test_id("order-message")).to_contain_text("Envoi 1 modifié")
    await expect(round_of(console, 1).get_by_test_id("round-amended")).to_be_visible()
    await expect(round_of(console, 1).get_by_test_id("round-total")).to_contain_text("32,50")
    guest_one = round_of(phone, 1)
    await expect(guest_one).to_have_attribute("data-amended", "true")
    await expect(guest_one.get_by_test_id("round-line").first).to_contain_text("2 \u00d7 Croque")
    await expect(guest_one.get_by_test_id("round-amendment-note")).to_contain_text("Deux croques")
    await expect(phone.get_by_test_id("order-total")).to_contain_text("€32.50")
    await scroll_to(phone, "rounds")
    await finish(phone, screenshots, "3-guest-sees-amended")

    # Validate it.
    await round_of(console, 1).get_by_test_id("validate").click()
    await expect(round_of(console, 1)).to_have_attribute("data-status", "validated")
    await expect(round_of(console, 1).get_by_test_id("round-validated-by")).to_contain_text(
        "Camille"
    )
    await expect(guest_one).to_have_attribute("data-status", re.compile("validated|in_production"))

    # A second round, rejected with a reason: the guest reads it.
    await add(phone, "salade", 1)
    await phone.get_by_test_id("confirm").click()
    await expect(round_of(phone, 2)).to_be_visible()
    two = round_of(console, 2)
    await expect(two).to_have_attribute("data-status", "pending")
    await two.get_by_test_id("reject").locator("summary").click()
    await two.get_by_test_id("reject-reason").fill("Plus de salade niçoise ce soir")
    await two.get_by_test_id("reject-submit").click()
    await expect(round_of(console, 2)).to_have_attribute("data-status", "rejected")
    await expect(round_of(console, 2).get_by_test_id("round-reason")).to_contain_text(
        "Plus de salade niçoise"
    )
    guest_two = round_of(phone, 2)
    await expect(guest_two).to_have_attribute("data-status", "rejected")
    await expect(guest_two.get_by_test_id("round-rejected-reason")).to_contain_text(
        "Plus de salade niçoise ce soir"
    )
    await expect(phone.get_by_test_id("order-total")).to_contain_text("€32.50")
    await scroll_to(phone, "rounds")
    await finish(phone, screenshots, "4-guest-sees-rejection")

    # Settle in two equal parts: the order is paid and closed only after the second.
    await expect(detail.get_by_test_id("order-due")).to_contain_text("32,50")
    await detail.get_by_test_id("split-equal").locator("summary").click()
    await detail.get_by_test_id("split-parts").fill("2")
    await detail.get_by_test_id("split-show").click()
    shares = console.get_by_test_id("share")
    await expect(shares).to_have_count(2)
    await expect(shares.nth(0).get_by_test_id("share-amount")).to_contain_text("16,25")
    await shot(console, screenshots, "5-split-in-two")
    await shares.nth(0).get_by_test_id("share-1-method-cash").check()
    await shares.nth(0).get_by_test_id("pay-share").click()
    detail = console.get_by_test_id("order-detail")
    await expect(detail.get_by_test_id("order-message")).to_contain_text("16,25")
    await expect(detail).to_have_attribute("data-status", "part_paid")
    await expect(detail.get_by_test_id("order-due")).to_contain_text("16,25")
    await expect(detail.get_by_test_id("order-closed")).to_have_count(0)
    await expect(detail.get_by_test_id("payment")).to_have_count(1)
    # The second share is still listed, to be paid by card with the terminal's token.
    await expect(shares).to_have_count(1)
    await expect(shares.first).to_contain_text("Part 2 sur 2")
    await expect(phone.get_by_test_id("bill-paid")).to_have_count(0)
    await shot(console, screenshots, "6-part-paid")
    await shares.first.get_by_test_id("share-2-method-card").check()
    await expect(shares.first.get_by_test_id("share-2-card-token")).to_be_visible()
    await shares.first.get_by_test_id("share-2-card-token").fill("tok_terminal_5f2a9c")
    await shares.first.get_by_test_id("pay-share").click()
    await expect(detail.get_by_test_id("order-message")).to_contain_text("payée et close")
    await expect(detail).to_have_attribute("data-status", "paid")
    await expect(detail.get_by_test_id("order-closed")).to_be_visible()
    await expect(detail.get_by_test_id("payment")).to_have_count(2)
    await expect(phone.get_by_test_id("bill-paid")).to_be_visible()
    # Settled, it leaves the list of open orders.
    await expect(console.get_by_test_id("order-item")).to_have_count(0)
    await scroll_to(console, "settle")
    await finish(console, screenshots, "7-paid-and-closed")
    await scroll_to(phone, "bill")
    await finish(phone, screenshots, "8-guest-bill-paid")

    # The kitchen's ticket of round 1, as amended.
    await console.get_by_test_id("tab-tickets").click()
    ticket = console.get_by_test_id("ticket")
    await expect(ticket).to_have_count(1)
    await expect(console.get_by_test_id("live-state")).to_have_attribute("data-state", "live")
    await expect(ticket).to_contain_text("2 \u00d7")
    await finish(console, screenshots, "9-tickets")
    assert guest["role"] == "host"


async def test_two_consoles_validating_the_same_round_one_is_told_who_did(
    venue_named: Callable[[str], Any], staff: Staff, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    place = await venue(venue_named, staff, "race")
    ana = await new_browser_page(browser, PHONE, "en-GB")
    bruno = await new_browser_page(browser, PHONE, "en-GB")
    await pair_and_sign_in(
        ana, place.gateway, await staff.pairing_code("race"), "Till A", staff.emails["Ana"]
    )
    await pair_and_sign_in(
        bruno, place.gateway, await staff.pairing_code("race"), "Till B", staff.emails["Bruno"]
    )

    phone = await new_phone(browser, "fr-FR")
    await open_table(phone, place.guest_url)
    await add(phone, "croque", 1)
    await phone.get_by_test_id("confirm").click()
    await expect(round_of(phone, 1)).to_be_visible()

    for console in (ana, bruno):
        await open_order(console, "Table 7")
        await expect(round_of(console, 1).get_by_test_id("validate")).to_be_visible()
    await shot(ana, screenshots, "1-both-see-the-round")

    # Both press "validate" at once: one validation wins, the other console is told by whom.
    await asyncio.gather(
        round_of(ana, 1).get_by_test_id("validate").click(),
        round_of(bruno, 1).get_by_test_id("validate").click(),
    )
    messages = {}
    for name, console in (("Ana", ana), ("Bruno", bruno)):
        box = console.get_by_test_id("order-message")
        await expect(box).to_be_visible()
        messages[name] = await box.inner_text()
    winners = [name for name, text in messages.items() if "Round 1 validated" in text]
    assert len(winners) == 1, messages
    winner = winners[0]
    loser = "Bruno" if winner == "Ana" else "Ana"
    till = "Till A" if winner == "Ana" else "Till B"
    assert f"Already validated by {winner} on {till}" in messages[loser], messages
    for console in (ana, bruno):
        validated = round_of(console, 1)
        await expect(validated).to_have_attribute("data-status", "validated")
        await expect(validated.get_by_test_id("round-validated-by")).to_contain_text(winner)
    await finish(ana, screenshots, "2-ana")
    await finish(bruno, screenshots, "3-bruno")

    # The open tables with their PINs, for guests who join late.
    await bruno.get_by_test_id("tab-tables").click()
    table = bruno.get_by_test_id("open-table").filter(has_text="Table 7")
    await expect(table.get_by_test_id("table-pin")).to_have_text(re.compile(r"^\d{6}$"))
    await finish(bruno, screenshots, "4-tables")


async def test_a_revoked_console_is_cut_off_and_asked_to_pair_again(
    venue_named: Callable[[str], Any], staff: Staff, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    place = await venue(venue_named, staff, "revoke")
    console = await new_browser_page(browser, TABLET, "en-GB")
    await pair_and_sign_in(
        console,
        place.gateway,
        await staff.pairing_code("revoke"),
        "Terrace till",
        staff.emails["Rémi"],
    )
    device_id = await console.evaluate("document.body.dataset.device")

    await staff.revoke(device_id)
    revoked = console.get_by_test_id("revoked")
    await expect(revoked).to_be_visible()
    await expect(revoked).to_contain_text("This device was revoked")
    await expect(console.get_by_test_id("live-state")).to_have_attribute("data-state", "revoked")
    # Its stream is refused from now on (the notifier closed the open one).
    stream = await console.context.request.get(
        f"{place.gateway}/events/venues/{staff.venues['revoke']}"
    )
    assert stream.status == 401, await stream.text()
    await finish(console, screenshots, "1-revoked")

    await console.get_by_test_id("pair-again").click()
    await expect(console.get_by_test_id("pos-pair-page")).to_be_visible()
    await expect(console.get_by_test_id("pair-revoked")).to_be_visible()
    await finish(console, screenshots, "2-pair-again")
