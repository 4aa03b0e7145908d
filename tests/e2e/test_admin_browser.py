"""The back office in a real browser (the distribution's Chromium driven by Playwright) against
every service as its own process on real Kafka and PostgreSQL: the owner signs in (a wrong
password first), sets the hotel up and creates two concierge offers, one that confirms itself;
a guest orders both from their room's page in another browser context; the owner's Orders list
shows them newest first, the staff confirm one and cancel the other, and both the list and the
guest's page show the new statuses. A cashier may read the Orders list but not open settings.
Each scenario saves screenshots under test-output/e2e/<test name>/."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from convive.cli.platform import Platform
from convive.runtime.testkit import DEADLINE, eventually

pytestmark = pytest.mark.infra

PASSWORD = "a long enough password"  # noqa: S105 (the tests' own; the conftest's STAFF_PASSWORD)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


class Hotel:
    """A hotel set up over the services' HTTP APIs as `convive demo seed` does: its owner and a
    cashier (opened by the shared platform's first account, `staff_root`), a room-service
    profit centre and one room."""

    def __init__(self, platform: Platform, staff_root: Any) -> None:
        self.platform = platform
        self.staff_root = staff_root
        self.venue_id = staff_root.venue_id()
        self.owner_email = f"owner-{uuid.uuid4().hex[:4]}@hotel.example.com"
        self.cashier_email = f"cashier-{uuid.uuid4().hex[:4]}@hotel.example.com"
        self.room: dict[str, Any] = {}

    async def set_up(self) -> None:
        sessions = self.platform.url("table-session")
        owner = await self.staff_root.open_account(
            "owner", [self.venue_id], name="Olivia", email=self.owner_email
        )
        await self.staff_root.open_account(
            "cashier",
            [self.venue_id],
            name="Camille",
            email=self.cashier_email,
            opened_by=owner["header"],
        )
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            answer = await http.post(
                f"{sessions}/venues/{self.venue_id}/profit-centres",
                json={"profit_centre_id": "rooms", "name": "Room service", "mode": "order"},
            )
            assert answer.status_code in (200, 201), answer.text
            answer = await http.post(
                f"{sessions}/venues/{self.venue_id}/spots",
                json={"profit_centre_id": "rooms", "name": "Room 112", "kind": "room"},
            )
            assert answer.status_code == 201, answer.text
            self.room = answer.json()

    def url(self, path: str = "") -> str:
        return f"{self.platform.url('gateway')}{path}"

    @property
    def admin(self) -> str:
        return self.url(f"/admin/venues/{self.venue_id}")

    @property
    def guest_url(self) -> str:
        return self.url(f"/t/{self.room['token']}")


@pytest.fixture(scope="module")
async def hotel(shared_platform: Platform, staff_root: Any) -> Hotel:
    place = Hotel(shared_platform, staff_root)
    await place.set_up()
    return place


async def new_page(browser: Any, viewport: dict[str, int], locale: str) -> Any:
    """A page of its own (its own cookies) that says yes to "cancel this order?" and keeps its
    script errors in `page.errors`, checked at the end of each scenario."""
    return await browser.watched_page(viewport, locale)


async def shot(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    await page.get_by_test_id("login-email").fill(email)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()


async def create_offer(page: Any, hotel: Hotel, fields: dict[str, str], auto: bool) -> None:
    from playwright.async_api import expect

    await page.goto(f"{hotel.admin}/offers/new")
    for name, value in fields.items():
        if name == "offer_type":
            await page.get_by_test_id("field-offer_type").select_option(value)
        else:
            await page.get_by_test_id(f"field-{name}").fill(value)
    if auto:
        await page.get_by_test_id("field-auto_confirm").check()
    await page.get_by_test_id("save-offer").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("saved")


def order_row(page: Any, offer: str) -> Any:
    return page.get_by_test_id("offer-order").filter(has_text=offer)


async def order_offer(phone: Any, offer: str, note: str = "") -> None:
    from playwright.async_api import expect

    card = phone.get_by_test_id("room-offer").filter(has_text=offer)
    await card.get_by_test_id("offer-open").click()
    await card.get_by_test_id("offer-name").fill("Ada Lovelace")
    await card.get_by_test_id("offer-email").fill("ada@guest.example.com")
    if note:
        await card.get_by_test_id("offer-note").fill(note)
    await card.get_by_test_id("offer-submit").click()
    await expect(phone.get_by_test_id("flash")).to_be_visible()


async def test_owner_sets_up_offers_and_handles_a_guests_orders(
    hotel: Hotel, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    owner = await new_page(browser, DESKTOP, "en-GB")
    await owner.goto(f"{hotel.admin}/settings")
    # Not signed in: the login page, which will lead back to the settings.
    await expect(owner.get_by_test_id("login-page")).to_be_visible()
    await sign_in(owner, hotel.owner_email, "not the password")
    await expect(owner.get_by_test_id("login-error")).to_have_text("Wrong e-mail or password.")
    await shot(owner, screenshots, "1-login-wrong-password")
    await sign_in(owner, hotel.owner_email)

    # Venue settings.
    await expect(owner.get_by_test_id("settings-form")).to_be_visible()
    await owner.get_by_test_id("field-name").fill("Hôtel Lumière")
    await owner.get_by_test_id("field-language").select_option("fr")
    await owner.get_by_test_id("field-notification_email").fill("desk@hotel.example.com")
    await owner.get_by_test_id("field-pms_integration").select_option("one_way")
    await owner.get_by_test_id("save-settings").click()
    await expect(owner.get_by_test_id("flash")).to_have_text("Settings saved.")
    await expect(owner.get_by_test_id("venue-name")).to_have_text("Hôtel Lumière")
    await expect(owner.get_by_test_id("field-pms_integration")).to_have_value("one_way")
    await shot(owner, screenshots, "2-settings-saved")

    # Two offers: one confirms itself, one waits for the staff.
    await create_offer(
        owner,
        hotel,
        {
            "name_fr": "Accès au spa",
            "name_en": "Spa access",
            "price": "35",
            "description_fr": "Deux heures au spa, peignoir compris.",
            "description_en": "Two hours at the spa, bathrobe included.",
        },
        auto=True,
    )
    await create_offer(
        owner,
        hotel,
        {
            "name_fr": "Surclassement en suite",
            "name_en": "Suite upgrade",
            "offer_type": "upgrade",
            "price": "120,00",
        },
        auto=False,
    )
    offers = owner.get_by_test_id("offer")
    await expect(offers).to_have_count(2)
    await expect(offers.filter(has_text="Spa access")).to_contain_text("Automatic")
    await expect(offers.filter(has_text="Suite upgrade")).to_contain_text("€120.00")
    await shot(owner, screenshots, "3-offers")

    # A guest in room 112 orders both from the room's page (another browser: a phone).
    phone = await new_page(browser, PHONE, "fr-FR")
    await phone.goto(hotel.guest_url)
    await expect(phone.get_by_test_id("room-offers")).to_be_visible()
    await expect(phone.get_by_test_id("room-offer")).to_have_count(2)
    await order_offer(phone, "Accès au spa", note="Vers 18 h si possible")
    await expect(phone.get_by_test_id("flash")).to_contain_text("Confirmée")
    await order_offer(phone, "Surclassement en suite")
    await expect(phone.get_by_test_id("flash")).to_contain_text("Demande envoyée")
    mine = phone.get_by_test_id("my-offer-order")
    await expect(mine).to_have_count(2)
    await expect(mine.nth(0)).to_have_attribute("data-status", "pending")
    await expect(mine.nth(1)).to_have_attribute("data-status", "confirmed")
    await shot(phone, screenshots, "4-guest-ordered")

    # The Orders list: newest first, the auto-confirmed one confirmed.
    await owner.goto(f"{hotel.admin}/offer-orders")
    rows = owner.get_by_test_id("offer-order")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0).get_by_test_id("offer-name")).to_have_text("Suite upgrade")
    await expect(rows.nth(1).get_by_test_id("offer-name")).to_have_text("Spa access")
    await expect(order_row(owner, "Suite upgrade")).to_have_attribute("data-status", "pending")
    await expect(order_row(owner, "Spa access")).to_have_attribute("data-status", "confirmed")
    await expect(order_row(owner, "Spa access")).to_contain_text("Ada Lovelace")
    await expect(order_row(owner, "Spa access")).to_contain_text("Vers 18 h si possible")
    await shot(owner, screenshots, "5-orders-as-ordered")

    # Staff confirm the pending one and cancel the one that confirmed itself.
    await order_row(owner, "Suite upgrade").get_by_test_id("confirm").click()
    await expect(owner.get_by_test_id("flash")).to_have_text("Order of Ada Lovelace confirmed.")
    await expect(order_row(owner, "Suite upgrade")).to_have_attribute("data-status", "confirmed")
    await order_row(owner, "Spa access").get_by_test_id("cancel").click()
    await expect(owner.get_by_test_id("flash")).to_have_text("Order of Ada Lovelace cancelled.")
    await expect(order_row(owner, "Spa access")).to_have_attribute("data-status", "cancelled")
    await expect(order_row(owner, "Spa access").get_by_test_id("confirm")).to_have_count(0)

    # One-way PMS: the confirmed upgrade is to be posted by hand, then marked posted.
    upgrade_pms = order_row(owner, "Suite upgrade").get_by_test_id("pms")

    async def to_post_by_hand() -> bool:
        # pos-gateway learns of the confirmation from ordering's events: the list is read again.
        if await upgrade_pms.get_attribute("data-pms") == "to_post_by_hand":
            return True
        await owner.reload()
        return False

    await eventually(to_post_by_hand)
    await expect(upgrade_pms).to_have_attribute("data-pms", "to_post_by_hand")
    await expect(upgrade_pms).to_contain_text("Post to PMS by hand")
    await shot(owner, screenshots, "6-orders-confirmed-and-cancelled")
    await order_row(owner, "Suite upgrade").get_by_test_id("mark-posted").click()
    await expect(upgrade_pms).to_have_attribute("data-pms", "posted")

    # The filters: only the cancelled one.
    await owner.get_by_test_id("filter-status").select_option("cancelled")
    await owner.get_by_test_id("apply-filters").click()
    await expect(owner.get_by_test_id("offer-order")).to_have_count(1)
    await expect(owner.get_by_test_id("offer-order")).to_contain_text("Spa access")
    await owner.get_by_test_id("filter-status").select_option("")
    await owner.get_by_test_id("apply-filters").click()
    await expect(owner.get_by_test_id("offer-order")).to_have_count(2)
    await shot(owner, screenshots, "7-orders-final")

    # The guest sees the new statuses when the page is loaded again.
    await phone.reload()
    status = phone.get_by_test_id("my-offer-order")
    await expect(status.filter(has_text="Surclassement en suite")).to_have_attribute(
        "data-status", "confirmed"
    )
    await expect(status.filter(has_text="Accès au spa")).to_have_attribute(
        "data-status", "cancelled"
    )
    await expect(status.filter(has_text="Accès au spa")).to_contain_text("Annulée")
    await phone.evaluate("document.getElementById('offers').scrollIntoView()")
    await shot(phone, screenshots, "8-guest-statuses")
    assert owner.errors == [], owner.errors
    assert phone.errors == [], phone.errors


async def test_a_cashier_reads_orders_but_cannot_open_settings(
    hotel: Hotel, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    cashier = await new_page(browser, DESKTOP, "fr-FR")
    await cashier.goto(hotel.url("/admin/login"))
    await sign_in(cashier, hotel.cashier_email)
    await expect(cashier.get_by_test_id("venue")).to_have_count(1)
    await cashier.get_by_test_id("venue").get_by_role("link").click()
    # A cashier's venue page is the Orders list, read-only.
    await expect(cashier).to_have_url(re.compile(r"/offer-orders$"))
    await expect(cashier.get_by_test_id("nav-settings")).to_have_count(0)
    await expect(cashier.get_by_test_id("confirm")).to_have_count(0)
    await shot(cashier, screenshots, "1-cashier-orders")
    answer = await cashier.goto(f"{hotel.admin}/settings")
    assert answer is not None
    assert answer.status == 403
    await expect(cashier.get_by_test_id("forbidden-page")).to_be_visible()
    await expect(cashier.get_by_test_id("forbidden-title")).to_have_text("Accès refusé")
    await shot(cashier, screenshots, "2-cashier-settings-403")
    assert cashier.errors == [], cashier.errors


async def test_owner_sets_up_rooms_menu_devices_and_staff(
    hotel: Hotel, browser: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    owner = await new_page(browser, DESKTOP, "fr-FR")
    await owner.goto(hotel.url("/admin/login"))
    await sign_in(owner, hotel.owner_email)
    await owner.goto(f"{hotel.admin}/spots")
    await owner.get_by_text("Ajouter une table ou une chambre").click()
    await owner.get_by_test_id("field-name").last.fill("Chambre 214")
    await owner.get_by_test_id("field-kind").select_option("room")
    await owner.get_by_role("button", name="Ajouter").last.click()
    await expect(owner.get_by_test_id("flash")).to_have_text("Chambre 214 ajoutée.")
    await expect(owner.get_by_test_id("spot")).to_have_count(2)
    await shot(owner, screenshots, "1-rooms")

    # The menu: a first product (the venue had none), then a change published.
    await owner.goto(f"{hotel.admin}/menu")
    await owner.get_by_test_id("field-name_fr").fill("Club sandwich")
    await owner.get_by_test_id("field-name_en").fill("Club sandwich")
    await owner.get_by_test_id("field-price").fill("18,50")
    await owner.get_by_role("button", name="Ajouter et publier").click()
    await expect(owner.get_by_test_id("flash")).to_have_text("Produit ajouté ; carte publiée.")
    product = owner.get_by_test_id("menu-product")
    await expect(product).to_have_count(1)
    await product.locator("input[name^='price:']").fill("19")
    await product.locator("input[name^='station:']").fill("kitchen")
    await owner.get_by_test_id("save-menu").click()
    await expect(owner.get_by_test_id("flash")).to_have_text("Carte publiée.")
    await expect(product.locator("input[name^='price:']")).to_have_value("19.00")
    await shot(owner, screenshots, "2-menu")

    # A pairing code for a new till, shown big.
    await owner.goto(f"{hotel.admin}/devices")
    await owner.get_by_test_id("new-pairing-code").click()
    await expect(owner.get_by_test_id("pairing-code")).to_have_text(
        re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
    )
    await shot(owner, screenshots, "3-pairing-code")

    # Staff accounts: the owner opens a manager's.
    await owner.goto(f"{hotel.admin}/staff")
    # The hotel's accounts (the shared platform's first account, which opened them, aside).
    accounts = owner.get_by_test_id("account").filter(has_not_text=hotel.staff_root.email)
    await expect(accounts).to_have_count(2)
    await owner.get_by_test_id("field-name").fill("Marc")
    await owner.get_by_test_id("field-email").fill(f"marc-{uuid.uuid4().hex[:4]}@hotel.example.com")
    await owner.get_by_test_id("field-role").select_option("manager")
    await owner.get_by_test_id("field-password").fill(PASSWORD)
    await owner.get_by_role("button", name="Ouvrir un compte").click()
    await expect(owner.get_by_test_id("flash")).to_have_text("Compte de Marc ouvert.")
    await expect(accounts).to_have_count(3)
    await shot(owner, screenshots, "4-staff")
    assert owner.errors == [], owner.errors
