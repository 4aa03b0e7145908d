"""Every string of the guest app in French and English, the EU's 14 allergens, how money is
written, and which language a request gets (`?lang=`, then the `convive_lang` cookie, then
`Accept-Language`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from convive.contracts.base import LocalizedText, Money

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "convive_lang"

# The 14 allergens of Regulation (EU) No 1169/2011, Annex II, by the codes menus use.
ALLERGENS: dict[str, dict[str, str]] = {
    "gluten": {"fr": "Céréales contenant du gluten", "en": "Cereals containing gluten"},
    "crustaceans": {"fr": "Crustacés", "en": "Crustaceans"},
    "eggs": {"fr": "Œufs", "en": "Eggs"},
    "fish": {"fr": "Poissons", "en": "Fish"},
    "peanuts": {"fr": "Arachides", "en": "Peanuts"},
    "soy": {"fr": "Soja", "en": "Soybeans"},
    "milk": {"fr": "Lait", "en": "Milk"},
    "nuts": {"fr": "Fruits à coque", "en": "Tree nuts"},
    "celery": {"fr": "Céleri", "en": "Celery"},
    "mustard": {"fr": "Moutarde", "en": "Mustard"},
    "sesame": {"fr": "Graines de sésame", "en": "Sesame seeds"},
    "sulphites": {"fr": "Anhydride sulfureux et sulfites", "en": "Sulphur dioxide and sulphites"},
    "lupin": {"fr": "Lupin", "en": "Lupin"},
    "molluscs": {"fr": "Mollusques", "en": "Molluscs"},
}
ALLERGEN_ALIASES = {
    "cereals": "gluten",
    "crustacean": "crustaceans",
    "egg": "eggs",
    "peanut": "peanuts",
    "soya": "soy",
    "soybean": "soy",
    "soybeans": "soy",
    "lactose": "milk",
    "dairy": "milk",
    "tree_nuts": "nuts",
    "tree-nuts": "nuts",
    "nut": "nuts",
    "sulfites": "sulphites",
    "sulphite": "sulphites",
    "sulfite": "sulphites",
    "sulphur_dioxide": "sulphites",
    "mollusc": "molluscs",
    "mollusks": "molluscs",
}


def allergen_code(code: str) -> str:
    code = code.strip().lower()
    return ALLERGEN_ALIASES.get(code, code)


def allergen_name(code: str, lang: str) -> str:
    names = ALLERGENS.get(allergen_code(code))
    return names[lang] if names else code


CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "app_name": "Convive",
        "skip_to_menu": "Skip to the menu",
        "language": "Language",
        "switch_to": "Français",
        "switch_lang": "fr",
        "menu": "Menu",
        "your_table": "{spot}",
        "you": "you",
        "guest_n": "guest {n}",
        "added_by": "added by {who}",
        "price": "Price",
        "allergens": "Allergens",
        "no_allergens": "No listed allergens",
        "allergen_filter": "Hide dishes containing",
        "apply_filter": "Apply",
        "sold_out": "Sold out",
        "add": "Add",
        "add_named": "Add {name} to the cart",
        "quantity": "Quantity",
        "options_required": "choose {n}",
        "options_up_to": "up to {n}",
        "cart": "Shared cart",
        "cart_empty": "The cart is empty. Add dishes from the menu.",
        "cart_summary": "{count} in the cart · {total}",
        "view_cart": "View cart",
        "increase": "One more {name}",
        "decrease": "One less {name}",
        "remove": "Remove",
        "remove_named": "Remove {name}",
        "total": "Total",
        "cart_total": "Cart total",
        "order_total": "Order total",
        "confirm": "Confirm order",
        "confirm_hint": "Sends the whole cart to the staff, for everyone at the table.",
        "rounds": "Sent to the staff",
        "round_n": "Round {n}",
        "status_sent": "Sent, awaiting the staff",
        "status_validated": "Validated",
        "status_in_production": "Validated · in production",
        "status_paid": "Paid",
        "status_rejected": "Refused by the staff",
        "round_amended": "Changed by the staff",
        "staff_message": "Message from the staff: {note}",
        "rejected_reason": "Reason: {reason}",
        "bill": "Bill",
        "bill_paid": "This bill is paid. Thank you!",
        "pay": "Pay online",
        "pay_hint": "You will be taken to our payment provider's secure page.",
        "room_charge": "Charge to my room",
        "room_charge_done": "Charged to your room. Thank you!",
        "payment_done": "Payment received. Thank you!",
        "payment_cancelled": "The payment was cancelled; nothing was charged.",
        "nothing_to_pay": "There is nothing to pay at this table yet.",
        "pin_title": "Table PIN",
        "pin_share": "Share this PIN with late joiners",
        "pin_form_title": "Join this table",
        "pin_required": "This table has already ordered. Enter the PIN shown to your table's "
        "host to join it. Meanwhile you can read the menu.",
        "pin_label": "PIN",
        "pin_submit": "Join the table",
        "wrong_pin": "Wrong PIN. {n} tries left.",
        "wrong_pin_plain": "Wrong PIN.",
        "locked_out": "Too many wrong PINs from this phone: it can no longer join this table. "
        "Ask the staff, or the host of the table.",
        "menu_only": "Here you can read the menu; ordering is done with the staff.",
        "previous_bill_open": "This table's previous bill is still open; ask the staff. "
        "You can read the menu meanwhile.",
        "viewer": "You can read the menu.",
        "unknown_title": "Unknown QR code",
        "unknown_body": "We do not know this QR code. Please scan the code on your table again, "
        "or ask the staff.",
        "gone_title": "This code is no longer valid",
        "gone_body": "This QR code was replaced. Please scan the code now on your table, "
        "or ask the staff.",
        "error_title": "Something went wrong",
        "unavailable": "The service is busy right now. Please try again in a moment.",
        "not_seated": "Scan this table's code to order: this phone is not seated here.",
        "session_closed": "This table's session is over.",
        "notice_added": "{who} added {item}",
        "notice_changed": "{who} changed a quantity",
        "notice_removed": "{who} removed an item",
        "notice_round": "Round {n} sent to the staff",
        "notice_validated": "Round {n} validated",
        "notice_amended": "The staff changed round {n}",
        "notice_rejected": "The staff refused round {n}",
        "notice_production": "Round {n} is in production",
        "notice_joined": "{who} joined the table",
        "notice_paid": "The bill is paid",
        "notice_pin": "The table's PIN changed",
        "notice_who_you": "You",
        "notice_who_guest": "Guest {n}",
        "notice_who_someone": "Someone",
        "live_region": "Table activity",
        "note": "Note for the kitchen",
        "each": "each",
        "offers_title": "For your stay",
        "offers_more": "Order another",
        "offers_intro": "Ask for a service or an upgrade: the concierge confirms it by e-mail.",
        "offer_order": "Order",
        "offer_send": "Send my request for {name}",
        "your_name": "Your name",
        "your_email": "Your e-mail",
        "your_email_hint": "We write to you there about this request.",
        "offer_note": "Message to the concierge (optional)",
        "your_requests": "Your requests",
        "offer_type_offer": "Service",
        "offer_type_upgrade": "Upgrade",
        "offer_status_pending": "Awaiting confirmation",
        "offer_status_confirmed": "Confirmed",
        "offer_status_cancelled": "Cancelled",
        "offer_ordered": "Request sent. The concierge will confirm it by e-mail.",
        "offer_ordered_confirmed": "Confirmed! A confirmation is on its way to your e-mail.",
        "offer_unknown": "This offer is no longer available.",
        "offer_name_needed": "Please give your name.",
        "offer_email_needed": "Please give an e-mail address such as name@example.com.",
    },
    "fr": {
        "app_name": "Convive",
        "skip_to_menu": "Aller au menu",
        "language": "Langue",
        "switch_to": "English",
        "switch_lang": "en",
        "menu": "Menu",
        "your_table": "{spot}",
        "you": "vous",
        "guest_n": "convive {n}",
        "added_by": "ajouté par {who}",
        "price": "Prix",
        "allergens": "Allergènes",
        "no_allergens": "Aucun allergène déclaré",
        "allergen_filter": "Masquer les plats contenant",
        "apply_filter": "Appliquer",
        "sold_out": "Épuisé",
        "add": "Ajouter",
        "add_named": "Ajouter {name} au panier",
        "quantity": "Quantité",
        "options_required": "choisir {n}",
        "options_up_to": "jusqu'à {n}",
        "cart": "Panier partagé",
        "cart_empty": "Le panier est vide. Ajoutez des plats depuis le menu.",
        "cart_summary": "{count} au panier · {total}",
        "view_cart": "Voir le panier",
        "increase": "Un {name} de plus",
        "decrease": "Un {name} de moins",
        "remove": "Retirer",
        "remove_named": "Retirer {name}",
        "total": "Total",
        "cart_total": "Total du panier",
        "order_total": "Total de la commande",
        "confirm": "Valider la commande",
        "confirm_hint": "Envoie tout le panier au personnel, pour toute la table.",
        "rounds": "Envoyé au personnel",
        "round_n": "Envoi {n}",
        "status_sent": "Envoyé, en attente du personnel",
        "status_validated": "Validé",
        "status_in_production": "Validé · en préparation",
        "status_paid": "Payé",
        "status_rejected": "Refusé par le personnel",
        "round_amended": "Modifié par le personnel",
        "staff_message": "Message du personnel : {note}",
        "rejected_reason": "Motif : {reason}",
        "bill": "Addition",
        "bill_paid": "L'addition est réglée. Merci !",
        "pay": "Payer en ligne",
        "pay_hint": "Vous serez redirigé vers la page sécurisée de notre prestataire de paiement.",
        "room_charge": "Mettre sur ma chambre",
        "room_charge_done": "Mis sur votre chambre. Merci !",
        "payment_done": "Paiement reçu. Merci !",
        "payment_cancelled": "Le paiement a été annulé ; rien n'a été débité.",
        "nothing_to_pay": "Il n'y a encore rien à payer à cette table.",
        "pin_title": "Code de la table",
        "pin_share": "Partagez ce code avec les retardataires",
        "pin_form_title": "Rejoindre cette table",
        "pin_required": "Cette table a déjà commandé. Saisissez le code affiché chez l'hôte de "
        "votre table pour la rejoindre. En attendant, vous pouvez consulter le menu.",
        "pin_label": "Code",
        "pin_submit": "Rejoindre la table",
        "wrong_pin": "Code erroné. Encore {n} essai(s).",
        "wrong_pin_plain": "Code erroné.",
        "locked_out": "Trop de codes erronés depuis ce téléphone : il ne peut plus rejoindre "
        "cette table. Demandez au personnel, ou à l'hôte de la table.",
        "menu_only": "Consultez le menu ici ; la commande se fait auprès du personnel.",
        "previous_bill_open": "L'addition précédente de cette table n'est pas encore réglée ; "
        "demandez au personnel. Vous pouvez consulter le menu en attendant.",
        "viewer": "Vous pouvez consulter le menu.",
        "unknown_title": "QR code inconnu",
        "unknown_body": "Nous ne connaissons pas ce QR code. Scannez à nouveau le code de votre "
        "table, ou demandez au personnel.",
        "gone_title": "Ce code n'est plus valable",
        "gone_body": "Ce QR code a été remplacé. Scannez le code qui se trouve maintenant sur "
        "votre table, ou demandez au personnel.",
        "error_title": "Un problème est survenu",
        "unavailable": "Le service est momentanément occupé. Réessayez dans un instant.",
        "not_seated": "Scannez le code de cette table pour commander : ce téléphone n'y est pas "
        "installé.",
        "session_closed": "La session de cette table est terminée.",
        "notice_added": "{who} a ajouté {item}",
        "notice_changed": "{who} a changé une quantité",
        "notice_removed": "{who} a retiré un article",
        "notice_round": "Envoi {n} transmis au personnel",
        "notice_validated": "Envoi {n} validé",
        "notice_amended": "Le personnel a modifié l'envoi {n}",
        "notice_rejected": "Le personnel a refusé l'envoi {n}",
        "notice_production": "Envoi {n} en préparation",
        "notice_joined": "{who} a rejoint la table",
        "notice_paid": "L'addition est réglée",
        "notice_pin": "Le code de la table a changé",
        "notice_who_you": "Vous",
        "notice_who_guest": "Convive {n}",
        "notice_who_someone": "Quelqu'un",
        "live_region": "Activité de la table",
        "note": "Note pour la cuisine",
        "each": "l'unité",
        "offers_title": "Pour votre séjour",
        "offers_more": "Commander autre chose",
        "offers_intro": "Demandez un service ou un surclassement : la conciergerie vous le "
        "confirme par e-mail.",
        "offer_order": "Commander",
        "offer_send": "Envoyer ma demande pour {name}",
        "your_name": "Votre nom",
        "your_email": "Votre e-mail",
        "your_email_hint": "Nous vous écrivons à cette adresse au sujet de cette demande.",
        "offer_note": "Message pour la conciergerie (facultatif)",
        "your_requests": "Vos demandes",
        "offer_type_offer": "Service",
        "offer_type_upgrade": "Surclassement",
        "offer_status_pending": "En attente de confirmation",
        "offer_status_confirmed": "Confirmée",
        "offer_status_cancelled": "Annulée",
        "offer_ordered": "Demande envoyée. La conciergerie vous la confirmera par e-mail.",
        "offer_ordered_confirmed": "Confirmée ! Une confirmation part vers votre e-mail.",
        "offer_unknown": "Cette offre n'est plus disponible.",
        "offer_name_needed": "Indiquez votre nom.",
        "offer_email_needed": "Indiquez une adresse e-mail comme nom@exemple.fr.",
    },
}

# The browser's script needs only these, to word its live notices.
SCRIPT_KEYS = (
    "notice_added",
    "notice_changed",
    "notice_removed",
    "notice_round",
    "notice_validated",
    "notice_amended",
    "notice_rejected",
    "notice_production",
    "notice_joined",
    "notice_paid",
    "notice_pin",
    "notice_who_you",
    "notice_who_guest",
    "notice_who_someone",
)


class Translator:
    """`t("key", name=...)` in one language, over the guest strings. The staff pages and the POS
    console subclass it with their own `catalogue` and `script_keys`: one lookup, three sets of
    strings."""

    catalogue: Mapping[str, Mapping[str, str]] = CATALOGUE
    script_keys: tuple[str, ...] = SCRIPT_KEYS

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self.strings = self.catalogue[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.strings.get(key) or self.catalogue[DEFAULT_LANGUAGE][key]
        return text.format(**values) if values else text

    def text(self, localized: LocalizedText | Mapping[str, str] | str | None) -> str:
        """A `{"fr", "en"}` text of a service in this language."""
        if localized is None:
            return ""
        if isinstance(localized, str):
            return localized
        if isinstance(localized, LocalizedText):
            return localized.fr if self.lang == "fr" else localized.en
        return localized.get(self.lang) or next(iter(localized.values()), "")

    def money(self, money: Money | None) -> str:
        if money is None:
            return ""
        minor, currency = money.amount_minor, money.currency
        sign = "-" if minor < 0 else ""
        units, cents = divmod(abs(minor), 100)
        symbol = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}.get(currency, currency)
        if self.lang == "fr":
            grouped = f"{units:,}".replace(",", "\u202f")
            return f"{sign}{grouped},{cents:02d}\u00a0{symbol}"
        return f"{sign}{symbol}{units:,}.{cents:02d}"

    def when(self, value: Any) -> str:
        """A moment as people here read it: `22/11/2026 14:05` in French, `2026-11-22 14:05`
        in English (UTC, as the services keep it)."""
        moment = instant(value)
        if moment is None:
            return str(value or "")
        moment = moment.astimezone(UTC)
        return moment.strftime("%d/%m/%Y %H:%M" if self.lang == "fr" else "%Y-%m-%d %H:%M")

    def script_strings(self) -> dict[str, str]:
        return {key: self.strings[key] for key in self.script_keys}


def instant(value: Any) -> datetime | None:
    """An ISO date-time of a service (UTC when it names no zone), or None."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str) -> str:
    """The language of a request: an explicit choice, then a remembered one, then the best
    of `Accept-Language` we speak."""
    for choice in (query_lang, cookie_lang):
        if choice in LANGUAGES:
            return choice
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, item in enumerate(accept_language.split(",")):
        parts = item.strip().split(";")
        tag = parts[0].strip().lower().split("-")[0]
        q = 1.0
        for param in parts[1:]:
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # Earlier entries win ties, as browsers list the preferred language first.
        score = q - position * 1e-6
        if tag in LANGUAGES and q > 0 and score > best_q:
            best, best_q = tag, score
    return best


LANG_MAX_AGE = 400 * 24 * 3600


def language(request: Request[Any, Any, Any]) -> tuple[Translator, list[Cookie]]:
    """The request's language, and the cookie that remembers an explicit `?lang=` choice."""
    chosen = request.query_params.get("lang")
    cookies: list[Cookie] = []
    if chosen in LANGUAGES:
        cookies.append(
            Cookie(key=LANG_COOKIE, value=chosen, max_age=LANG_MAX_AGE, path="/", samesite="lax")
        )
    lang = negotiate(
        chosen, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language", "")
    )
    return Translator(lang), cookies
