"""`convive demo seed`: a demo venue to play with — a dining room and a terrace, ten tables, a
menu of about thirty products in French and English (drinks made at the bar, the rest in the
kitchen), and a paired POS device — plus the demo hotel and staff accounts (`demo_hotel`),
created through the services' public HTTP APIs, like an operator would. Safe to run twice."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import segno

from convive.cli import demo_hotel

VENUE = "demo-bistro"
CURRENCY = "EUR"

PROFIT_CENTRES = [
    {"profit_centre_id": "demo-dining-room", "name": "Salle / Dining room", "mode": "order"},
    {"profit_centre_id": "demo-terrace", "name": "Terrasse / Terrace", "mode": "order"},
]
TABLES = [("demo-dining-room", f"Table {n}") for n in range(1, 7)] + [
    ("demo-terrace", f"Terrasse {n}") for n in range(1, 5)
]

CATEGORIES = [
    ("starters", "Entrées", "Starters"),
    ("mains", "Plats", "Mains"),
    ("desserts", "Desserts", "Desserts"),
    ("soft", "Boissons fraîches", "Soft drinks"),
    ("hot", "Boissons chaudes", "Hot drinks"),
    ("wine", "Vins et bières", "Wine and beer"),
]

# (id, category, French name, English name, price in cents, EU allergens)
PRODUCTS: list[tuple[str, str, str, str, int, list[str]]] = [
    (
        "soupe-oignon",
        "starters",
        "Soupe à l'oignon gratinée",
        "French onion soup",
        890,
        ["gluten", "milk"],
    ),
    ("oeufs-mayo", "starters", "Œufs mayonnaise", "Eggs mayonnaise", 650, ["eggs", "mustard"]),
    ("terrine", "starters", "Terrine de campagne", "Country pâté", 850, ["celery", "sulphites"]),
    (
        "escargots",
        "starters",
        "Six escargots de Bourgogne",
        "Six Burgundy snails",
        1150,
        ["molluscs", "milk"],
    ),
    (
        "salade-chevre",
        "starters",
        "Salade de chèvre chaud",
        "Warm goat's cheese salad",
        990,
        ["milk", "gluten", "nuts"],
    ),
    ("huitres", "starters", "Six huîtres", "Six oysters", 1600, ["molluscs"]),
    ("steak-frites", "mains", "Steak frites", "Steak and fries", 2150, []),
    (
        "boeuf-bourguignon",
        "mains",
        "Bœuf bourguignon",
        "Beef bourguignon",
        1990,
        ["celery", "sulphites"],
    ),
    ("confit-canard", "mains", "Confit de canard", "Duck confit", 2090, []),
    (
        "moules-frites",
        "mains",
        "Moules frites",
        "Mussels and fries",
        1790,
        ["molluscs", "celery", "sulphites"],
    ),
    (
        "saumon",
        "mains",
        "Pavé de saumon, beurre blanc",
        "Salmon, beurre blanc",
        2190,
        ["fish", "milk"],
    ),
    ("croque", "mains", "Croque-monsieur", "Croque-monsieur", 1250, ["gluten", "milk"]),
    ("risotto", "mains", "Risotto aux champignons", "Mushroom risotto", 1690, ["milk", "celery"]),
    (
        "burger",
        "mains",
        "Burger du bistrot",
        "Bistro burger",
        1850,
        ["gluten", "milk", "sesame", "mustard"],
    ),
    ("creme-brulee", "desserts", "Crème brûlée", "Crème brûlée", 790, ["milk", "eggs"]),
    ("mousse", "desserts", "Mousse au chocolat", "Chocolate mousse", 750, ["milk", "eggs"]),
    ("tarte-tatin", "desserts", "Tarte Tatin", "Tarte Tatin", 850, ["gluten", "milk", "eggs"]),
    (
        "ile-flottante",
        "desserts",
        "Île flottante",
        "Floating island",
        720,
        ["milk", "eggs", "nuts"],
    ),
    ("fromages", "desserts", "Assiette de fromages", "Cheese plate", 1100, ["milk", "gluten"]),
    ("eau-plate", "soft", "Eau minérale 50 cl", "Still water 50 cl", 450, []),
    ("eau-gazeuse", "soft", "Eau gazeuse 50 cl", "Sparkling water 50 cl", 450, []),
    ("citron-presse", "soft", "Citron pressé", "Fresh lemonade", 550, []),
    ("jus-orange", "soft", "Jus d'orange frais", "Fresh orange juice", 600, []),
    ("cola", "soft", "Cola 33 cl", "Cola 33 cl", 480, []),
    ("espresso", "hot", "Expresso", "Espresso", 250, []),
    ("cafe-creme", "hot", "Café crème", "Café crème", 420, ["milk"]),
    ("the", "hot", "Thé", "Tea", 400, []),
    ("bordeaux", "wine", "Verre de Bordeaux", "Glass of Bordeaux", 700, ["sulphites"]),
    ("chablis", "wine", "Verre de Chablis", "Glass of Chablis", 800, ["sulphites"]),
    ("biere-pression", "wine", "Bière pression 25 cl", "Draught beer 25 cl", 500, ["gluten"]),
]


BAR_CATEGORIES = {"soft", "hot", "wine"}


def menu(categories: set[str] | None = None) -> dict[str, Any]:
    """The bistro's menu, or the part of it in `categories` (the hotel's room service)."""
    wanted = [c for c in CATEGORIES if categories is None or c[0] in categories]
    return {
        "currency": CURRENCY,
        "categories": [
            {"category_id": cid, "name": {"fr": fr, "en": en}, "position": i}
            for i, (cid, fr, en) in enumerate(wanted)
        ],
        "products": [
            {
                "product_id": pid,
                "category_id": cat,
                "name": {"fr": fr, "en": en},
                "price": {"amount_minor": cents, "currency": CURRENCY},
                "allergens": allergens,
                "available": True,
                "station": "bar" if cat in BAR_CATEGORIES else "kitchen",
            }
            for pid, cat, fr, en, cents, allergens in PRODUCTS
            if categories is None or cat in categories
        ],
    }


@dataclass
class Seeded:
    spots: list[dict[str, Any]]
    device_id: str
    credential: str
    rooms: list[dict[str, Any]] = field(default_factory=list)


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise SystemExit(
            f"{response.request.method} {response.request.url}: {response.status_code} "
            f"{response.text}"
        )
    body: dict[str, Any] = response.json()
    return body


def seed(urls: dict[str, str], state_dir: Path) -> Seeded:
    """Create (or complete) the demo venue through the services' APIs."""
    with httpx.Client(timeout=30) as http:
        sessions, ordering, pos = urls["table-session"], urls["ordering"], urls["pos-gateway"]
        _check(
            http.put(
                f"{sessions}/venues/{VENUE}/settings",
                json={"name": "Bistro Convive", "language": "fr", "pms_integration": "none"},
            )
        )
        for pc in PROFIT_CENTRES:
            _check(http.post(f"{sessions}/venues/{VENUE}/profit-centres", json=pc))
        existing = {s["name"] for s in http.get(f"{sessions}/venues/{VENUE}/spots").json()}
        for pc_id, name in TABLES:
            if name not in existing:
                _check(
                    http.post(
                        f"{sessions}/venues/{VENUE}/spots",
                        json={"profit_centre_id": pc_id, "name": name, "kind": "table"},
                    )
                )
        _check(http.put(f"{ordering}/venues/{VENUE}/menu", json=menu()))
        device = _demo_device(http, pos, state_dir)
        demo_hotel.seed_staff(http, pos)
        rooms = demo_hotel.seed_hotel(http, urls, menu({"mains", "desserts", "soft", "hot"}))
        spots = http.get(f"{sessions}/venues/{VENUE}/spots").json()
    order = {name: i for i, (_, name) in enumerate(TABLES)}
    spots.sort(key=lambda s: order.get(s["name"], len(order)))
    return Seeded(
        spots=spots, device_id=device["device_id"], credential=device["credential"], rooms=rooms
    )


def _demo_device(http: httpx.Client, pos: str, state_dir: Path) -> dict[str, str]:
    """The demo POS device, paired once; its credential is kept in the cache folder."""
    path = state_dir / "demo-pos-device.json"
    if path.exists():
        device: dict[str, str] = json.loads(path.read_text())
        answer = http.get(
            f"{pos}/venues/{VENUE}/orders",
            headers={"Authorization": f"Bearer {device['credential']}"},
        )
        if answer.status_code == 200:
            return device
    paired = _check(http.post(f"{pos}/venues/{VENUE}/devices", json={"name": "Demo till"}))
    device = {"device_id": paired["device_id"], "credential": paired["credential"]}
    state_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(device))
    path.chmod(0o600)
    return device


def report(seeded: Seeded, *, all_qr: bool = False) -> str:
    lines = [f"Demo venue '{VENUE}': {len(seeded.spots)} tables, {len(PRODUCTS)} products.", ""]
    for spot in seeded.spots:
        lines.append(f"  {spot['name']:<11} {spot['guest_url']}")
    gateway = seeded.spots[0]["guest_url"].split("/t/")[0] if seeded.spots else ""
    lines += [
        "",
        f"  POS device {seeded.device_id}: Authorization: Bearer {seeded.credential}",
        "",
        *demo_hotel.report_lines(gateway, seeded.rooms),
        "",
    ]
    shown = seeded.spots if all_qr else seeded.spots[:1]
    for spot in shown:
        lines.append(f"{spot['name']} — scan with a phone:")
        lines.append(terminal_qr(spot["guest_url"]))
    return "\n".join(lines)


def terminal_qr(url: str) -> str:
    """The QR code of `url` drawn with half-block characters, for a terminal."""
    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()
