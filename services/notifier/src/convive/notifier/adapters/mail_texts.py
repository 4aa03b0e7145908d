"""The e-mails' words: Jinja2 templates in French and English (`templates/<lang>/<name>.txt`),
plain text, whose first line is the subject and the rest, after a blank line, the body.

A template sees the notification's context (the offer order as it was ordered) made readable in
its language: the offer's name in that language, the price as people there write it, the venue's
name, whether the guest can reply (the venue has an address).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from convive.notifier.domain.emails import Rendered, Template

LANGUAGES = ("fr", "en")

_environment = Environment(
    loader=PackageLoader("convive.notifier", "templates"),
    undefined=StrictUndefined,  # a misspelt variable fails loudly, not as an empty string
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

# Currencies whose minor unit is not a hundredth (ISO 4217 exponent).
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "BHD": 3, "KWD": 3, "TND": 3, "JOD": 3}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}

_OFFER_TYPES = {
    "fr": {"offer": "offre", "upgrade": "surclassement"},
    "en": {"offer": "offer", "upgrade": "upgrade"},
}


def format_money(money: Mapping[str, Any], language: str) -> str:
    """`{"amount_minor": 4500, "currency": "EUR"}` as "45,00 €" (fr) or "€45.00" (en)."""
    currency = str(money["currency"])
    exponent = _EXPONENTS.get(currency, 2)
    amount = int(money["amount_minor"])
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**exponent)
    symbol = _SYMBOLS.get(currency, currency)
    if language == "fr":
        grouped = f"{units:,}".replace(",", "\u202f")
        number = f"{grouped},{minor:0{exponent}d}" if exponent else grouped
        return f"{sign}{number}\u00a0{symbol}"
    number = f"{units:,}.{minor:0{exponent}d}" if exponent else f"{units:,}"
    return f"{sign}{symbol}{number}" if len(symbol) == 1 else f"{sign}{symbol}\u00a0{number}"


def _one_line(value: Any) -> Any:
    """Guests' words (name, note) on one line: they cannot lay out the message."""
    return " ".join(value.split()) if isinstance(value, str) else value


def render(
    template: Template | str,
    language: str,
    context: Mapping[str, Any],
    *,
    venue_name: str,
    can_reply: bool,
    guest_email: str | None = None,
) -> Rendered:
    """The subject and body of a notification in `language`."""
    if language not in LANGUAGES:
        raise ValueError(f"no templates in {language!r}: one of {', '.join(LANGUAGES)}")
    name = context.get("offer_name") or {}
    view = {
        **{k: _one_line(v) for k, v in context.items()},
        "offer_name": _one_line(name.get(language) or next(iter(name.values()), "")),
        "offer_type_label": _OFFER_TYPES[language].get(str(context.get("offer_type")), ""),
        "price": format_money(context["price"], language),
        "venue_name": _one_line(venue_name),
        "can_reply": can_reply,
        "guest_email": guest_email,
        "note": _one_line(context.get("note")),
        "reason": _one_line(context.get("reason")),
        "auto_confirm": bool(context.get("auto_confirm")),
    }
    text = _environment.get_template(f"{language}/{Template(template).value}.txt").render(view)
    subject, _, body = text.partition("\n")
    return Rendered(subject=subject.strip(), text=body.lstrip("\n"))


class MailTexts:
    """The e-mails' words in every language."""

    def render(
        self,
        template: Template | str,
        language: str,
        context: Mapping[str, Any],
        *,
        venue_name: str,
        can_reply: bool,
        guest_email: str | None = None,
    ) -> Rendered:
        return render(
            template,
            language,
            context,
            venue_name=venue_name,
            can_reply=can_reply,
            guest_email=guest_email,
        )
