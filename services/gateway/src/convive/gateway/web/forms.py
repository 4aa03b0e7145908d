"""Reading what people type into the gateway's forms (pure functions, no I/O): texts, choices,
boxes, and money as people type it. A form the gateway refuses raises `FormError`, naming the
field and the message (a catalogue entry), so the page can say what is wrong next to it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from babel.numbers import get_currency_precision

from convive.gateway.web.language import N_

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_MONEY_UNITS_DIGITS = 7  # up to 9,999,999 in the currency's major unit
SPACES = str.maketrans("", "", " \u00a0\u202f")
CURRENCY_SIGNS = "€$£"


class FormError(Exception):
    """A form field the gateway refuses before calling a service: the field, and what is
    wrong (a catalogue entry, marked with `N_`, worded in the reader's language where it is
    shown; `values` fill its placeholders)."""

    def __init__(self, field: str, message: str, **values: Any) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.values = field, message, values


Form = Mapping[str, Any]


def text(form: Form, name: str, *, required: bool = False, max_length: int = 200) -> str:
    value = str(form.get(name) or "").strip()
    if required and not value:
        raise FormError(name, N_("This field is required."))
    if len(value) > max_length:
        raise FormError(name, N_("At most %(n)s characters."), n=max_length)
    return value


def choice(form: Form, name: str, allowed: Iterable[str]) -> str:
    value = str(form.get(name) or "")
    if value not in allowed:
        raise FormError(name, N_("Choose one of the options."))
    return value


def checked(form: Form, name: str) -> bool:
    return str(form.get(name) or "") in ("on", "true", "1", "yes")


def parse_money(
    typed: Any,
    *,
    field: str,
    message: str,
    currency: str = "EUR",
    positive: bool = False,
    maximum: int | None = None,
) -> int:
    """Minor units of an amount typed as `12`, `12.5`, `12,50`, `1 234,50` or `12 €` (never
    negative; more than zero when `positive`; at most `maximum`), with at most the currency's
    decimals."""
    digits = int(get_currency_precision(currency))
    raw = str(typed or "").translate(SPACES).strip(CURRENCY_SIGNS)
    decimals = rf"([.,]\d{{1,{digits}}})?" if digits else ""
    if not re.fullmatch(rf"\d{{1,{MAX_MONEY_UNITS_DIGITS}}}{decimals}", raw):
        raise FormError(field, message)
    units, _, fraction = raw.replace(",", ".").partition(".")
    minor: int = int(units) * 10**digits + int(fraction.ljust(digits, "0") or 0)
    if (positive and minor <= 0) or (maximum is not None and minor > maximum):
        raise FormError(field, message)
    return minor


def money_input(minor: int, currency: str = "EUR") -> str:
    """An amount as a form field shows it for editing: `12.50`."""
    digits = int(get_currency_precision(currency))
    if not digits:
        return str(minor)
    units, fraction = divmod(minor, 10**digits)
    return f"{units}.{fraction:0{digits}d}"
