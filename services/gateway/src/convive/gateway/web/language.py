"""The language of a request and how the gateway's pages word, count, and write money, dates and
times in it.

Words come from gettext catalogues (`locales/<language>/LC_MESSAGES/messages.po`, compiled to
`.mo` by `make catalogues`; the source strings are English, so English needs none): code and
templates say `t.gettext("Confirm order")`, `t.ngettext("%(num)d guest", "%(num)d guests", n)`,
`_("Confirm order")` in a template. A catalogue that was not compiled stops the gateway at its
start (`load_catalogues`), never a page later.

Babel chooses the language (an explicit `?lang=`, then the `convive_lang` cookie, then the
browser's `Accept-Language`; French or English, English by default), writes money from minor
units with the currency's own precision, and dates and times in the venue's time zone, one
style on every staff page (`13:25`, `22 nov. 2026 13:25`).
"""

from __future__ import annotations

import gettext as gettext_module
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, get_currency_precision
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from litestar import Request
from litestar.datastructures import Cookie
from markupsafe import escape

from convive.contracts.base import LocalizedText, Money

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"
SOURCE_LANGUAGE = "en"  # the language of the msgids: it needs no catalogue
LANG_COOKIE = "convive_lang"
LANG_MAX_AGE = 400 * 24 * 3600
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
LOCALES = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_TIME_ZONE = "Europe/Paris"
TIME = "HH:mm"  # every staff page writes a time so, in both languages


def N_(message: str) -> str:
    """Mark a message for the catalogues where it is only named (translated where it is
    shown, in the reader's language)."""
    return message


UNAVAILABLE = N_("The service is busy right now. Please try again in a moment.")
"""What every app says when a service cannot answer (`t.gettext(UNAVAILABLE)`)."""


class CatalogueMissing(RuntimeError):
    """A language's compiled catalogue is not there: `make catalogues` was not run."""


@cache
def catalogue(code: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of a language (the source language needs none)."""
    if code == SOURCE_LANGUAGE:
        return gettext_module.NullTranslations()
    compiled = LOCALES / code / "LC_MESSAGES" / "messages.mo"
    if not compiled.is_file():
        raise CatalogueMissing(
            f"the {code!r} catalogue is not compiled ({compiled} is missing): "
            "run `make catalogues` (pybabel compile)"
        )
    with compiled.open("rb") as file:
        return Translations(file, domain="messages")


def load_catalogues() -> None:
    """Load every language's catalogue now: a missing one stops the gateway at its start."""
    for code in LANGUAGES:
        catalogue(code)


@cache
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


class Language:
    """One language's words, with its ways of writing money, dates and times (in `time_zone`,
    the venue's)."""

    def __init__(self, code: str, time_zone: str = DEFAULT_TIME_ZONE) -> None:
        self.code = code if code in LANGUAGES else DEFAULT_LANGUAGE
        self.locale = Locale.parse(self.code)
        self.translations = catalogue(self.code)
        self.time_zone = time_zone

    def in_zone(self, time_zone: str) -> Language:
        """The same language, writing times in another time zone."""
        return Language(self.code, time_zone)

    @property
    def other(self) -> str:
        """The language a page offers to switch to."""
        return "en" if self.code == "fr" else "fr"

    # --- words -------------------------------------------------------------------------------

    def gettext(self, message: str, /, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def pgettext(self, context: str, message: str, /, **values: Any) -> str:
        text = self.translations.pgettext(context, message)
        return text % values if values else text

    def text(self, localized: LocalizedText | None) -> str:
        """A service's text in French and English, in this language."""
        if localized is None:
            return ""
        return localized.fr if self.code == "fr" else localized.en

    # --- money, dates, times -----------------------------------------------------------------

    def money(self, money: Money | None) -> str:
        """`12,50 €` or `€12.50`: from minor units, with the currency's own decimals."""
        if money is None:
            return ""
        digits = int(get_currency_precision(money.currency))
        amount = Decimal(money.amount_minor).scaleb(-digits)
        return str(format_currency(amount, money.currency, locale=self.locale))

    def local(self, moment: datetime) -> datetime:
        """A moment of a service (UTC when it names no zone) in the venue's time zone."""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(zone(self.time_zone))

    def time(self, moment: datetime) -> str:
        """`13:25`, in the venue's time zone."""
        return str(format_time(self.local(moment), TIME, locale=self.locale))

    def when(self, moment: datetime) -> str:
        """`22 nov. 2026 13:25` / `Nov 22, 2026 13:25`, in the venue's time zone."""
        local = self.local(moment)
        return f"{format_date(local, 'medium', locale=self.locale)} {self.time(moment)}"


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str) -> str:
    """The language of a request: an explicit choice, then a remembered one, then the best
    of `Accept-Language` that the gateway speaks (Babel matches `fr-CA` to French)."""
    for choice in (query_lang, cookie_lang):
        if choice in LANGUAGES:
            return choice
    found = Locale.negotiate(preferences(accept_language), LANGUAGES, sep="-")
    return str(found) if found else DEFAULT_LANGUAGE


def preferences(accept_language: str) -> list[str]:
    """The language tags of an `Accept-Language` header, most wanted first (by their `q`;
    the browser's order between equals); those it refuses (`q=0`) left out."""
    weighted = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, position, tag.strip()))
    return [tag for *_, tag in sorted(weighted)]


def language_of(request: Request[Any, Any, Any]) -> tuple[Language, list[Cookie]]:
    """The request's language, and the cookie that remembers an explicit `?lang=` choice."""
    chosen = request.query_params.get("lang")
    cookies: list[Cookie] = []
    if chosen in LANGUAGES:
        cookies.append(
            Cookie(key=LANG_COOKIE, value=chosen, max_age=LANG_MAX_AGE, path="/", samesite="lax")
        )
    code = negotiate(
        chosen, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language", "")
    )
    return Language(code), cookies


# --- the templates' words --------------------------------------------------------------------


@pass_context
def _gettext(context: Context, message: str) -> str:
    return escape(_language(context).translations.gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return escape(_language(context).translations.ngettext(singular, plural, n))


@pass_context
def _pgettext(context: Context, message_context: str, message: str) -> str:
    return escape(_language(context).translations.pgettext(message_context, message))


@pass_context
def _npgettext(context: Context, message_context: str, singular: str, plural: str, n: int) -> str:
    translations = _language(context).translations
    return escape(translations.npgettext(message_context, singular, plural, n))


def _language(context: Context) -> Language:
    language = context.get("language")
    if not isinstance(language, Language):
        raise RuntimeError(f"the template {context.name!r} was rendered without a language")
    return language


def install(environment: Environment) -> None:
    """Give the templates `_`, `gettext`, `ngettext`, `pgettext` (Jinja's i18n extension, new
    style: `_("Round %(n)s", n=2)`), in the language of each page's `language`. A translation
    is text, escaped like any other (a catalogue cannot put markup on a page)."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]  # added by the extension
        gettext=_gettext,
        ngettext=_ngettext,
        newstyle=True,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
