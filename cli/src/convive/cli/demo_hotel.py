"""The demo's hotel and staff, seeded next to the bistro by `convive demo seed`: a hotel with
four rooms on room service, concierge offers and upgrades (some confirm themselves), a two-way
PMS, a notification address; and the staff accounts that log in to `/admin` and `/pos`."""

from __future__ import annotations

from typing import Any

import httpx

HOTEL = "demo-hotel"
CURRENCY = "EUR"
ROOM_SERVICE = "demo-room-service"
ROOMS = ["Room 101", "Room 102", "Room 201", "Suite 301"]
NOTIFICATION_EMAIL = "concierge@hotel.convive-demo.example.com"

# (id, type, French name, English name, price in cents, auto-confirm, French and English text)
OFFERS: list[tuple[str, str, str, str, int, bool, str, str]] = [
    (
        "late-checkout",
        "offer",
        "Départ tardif (14 h)",
        "Late check-out (2 pm)",
        3000,
        True,
        "Gardez votre chambre jusqu'à 14 h.",
        "Keep your room until 2 pm.",
    ),
    (
        "breakfast-in-room",
        "offer",
        "Petit déjeuner en chambre",
        "Breakfast in your room",
        2400,
        True,
        "Servi entre 7 h et 10 h 30.",
        "Served between 7 and 10.30 am.",
    ),
    (
        "spa-access",
        "offer",
        "Accès au spa (2 personnes)",
        "Spa access for two",
        4500,
        False,
        "Selon disponibilité : le concierge vous confirme le créneau.",
        "Subject to availability: the concierge confirms your slot.",
    ),
    (
        "suite-upgrade",
        "upgrade",
        "Surclassement en suite",
        "Upgrade to a suite",
        9000,
        False,
        "Selon disponibilité le jour de l'arrivée.",
        "Subject to availability on the day of arrival.",
    ),
]

# (e-mail, name, role, venues, password): demo accounts only, printed by the seed.
STAFF: list[tuple[str, str, str, list[str], str]] = [
    (
        "owner@convive-demo.example.com",
        "Olivia Owner",
        "owner",
        ["demo-bistro", HOTEL],
        "demo-owner-pass",
    ),
    (
        "manager@convive-demo.example.com",
        "Marc Manager",
        "manager",
        ["demo-bistro", HOTEL],
        "demo-manager-pass",
    ),
    (
        "cashier@convive-demo.example.com",
        "Camille Cashier",
        "cashier",
        ["demo-bistro"],
        "demo-cashier-pass",
    ),
]


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise SystemExit(
            f"{response.request.method} {response.request.url}: {response.status_code} "
            f"{response.text}"
        )
    return response.json()


def seed_hotel(
    http: httpx.Client, urls: dict[str, str], room_service_menu: dict[str, Any]
) -> list[dict[str, Any]]:
    """Create (or complete) the hotel; its rooms as table-session lists them."""
    sessions, ordering = urls["table-session"], urls["ordering"]
    _ok(
        http.put(
            f"{sessions}/venues/{HOTEL}/settings",
            json={
                "name": "Hôtel Convive",
                "language": "fr",
                "notification_email": NOTIFICATION_EMAIL,
                "pms_integration": "two_way",
            },
        )
    )
    _ok(
        http.post(
            f"{sessions}/venues/{HOTEL}/profit-centres",
            json={
                "profit_centre_id": ROOM_SERVICE,
                "name": "Service en chambre / Room service",
                "mode": "order_and_pay",
            },
        )
    )
    existing = {s["name"] for s in _ok(http.get(f"{sessions}/venues/{HOTEL}/spots"))}
    for name in ROOMS:
        if name not in existing:
            _ok(
                http.post(
                    f"{sessions}/venues/{HOTEL}/spots",
                    json={"profit_centre_id": ROOM_SERVICE, "name": name, "kind": "room"},
                )
            )
    _ok(http.put(f"{ordering}/venues/{HOTEL}/menu", json=room_service_menu))
    for offer_id, kind, fr, en, cents, auto, text_fr, text_en in OFFERS:
        _ok(
            http.put(
                f"{ordering}/venues/{HOTEL}/offers/{offer_id}",
                json={
                    "name": {"fr": fr, "en": en},
                    "offer_type": kind,
                    "price": {"amount_minor": cents, "currency": CURRENCY},
                    "description": {"fr": text_fr, "en": text_en},
                    "auto_confirm": auto,
                    "available": True,
                },
            )
        )
    rooms: list[dict[str, Any]] = _ok(http.get(f"{sessions}/venues/{HOTEL}/spots"))
    return rooms


def seed_staff(http: httpx.Client, pos: str) -> None:
    """The demo accounts; an account already there (its login works) is left as it is. The
    owner comes first: on a fresh platform it is the first account, which needs no header."""
    owner_id: str | None = None
    for email, name, role, venues, password in STAFF:
        login = http.post(f"{pos}/staff/login", json={"email": email, "password": password})
        if login.status_code == 200:
            account = login.json()
        else:
            body = {"email": email, "name": name, "role": role, "venue_ids": venues}
            headers = {"X-Convive-Staff": owner_id} if owner_id else {}
            account = _ok(
                http.post(f"{pos}/staff", json={**body, "password": password}, headers=headers)
            )
        if role == "owner":
            owner_id = account["staff_id"]


def report_lines(gateway: str, rooms: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"Demo hotel '{HOTEL}': {len(ROOMS)} rooms, {len(OFFERS)} concierge offers, two-way PMS.",
        *(f"  {room['name']:<11} {room['guest_url']}" for room in rooms),
        "",
        f"Back office {gateway}/admin   POS console {gateway}/pos",
    ]
    lines += [f"  {role:<8} {email} / {password}" for email, _, role, _, password in STAFF]
    return lines
