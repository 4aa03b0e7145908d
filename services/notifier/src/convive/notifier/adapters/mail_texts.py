"""The e-mails' words: one Jinja2 template per e-mail (`templates/<name>.txt`, plain text, whose
first line is the subject and the rest, after a blank line, the body), written in English with
the Jinja2 i18n extension, and a gettext catalogue per other language
(`locales/<language>/LC_MESSAGES/messages.po`; `make translations` extracts the words into it,
`make catalogues` compiles it; the compiled .mo files are built, never committed).

A template sees the notification's context (the offer order as it was ordered) made readable in
its language: the offer's name in that language, the price as Babel writes it there (from minor
units, with as many decimals as the currency has), the venue's name, whether the guest can reply
(the venue has an address); and a `datetime` filter that writes a moment in the venue's time
zone, as people write it in that language.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, get_currency_precision
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from convive.notifier.domain.emails import Rendered, Template

LANGUAGES = ("fr", "en")
SOURCE_LANGUAGE = "en"
"""The templates' own language: it needs no catalogue."""

LOCALES = Path(__file__).parents[1] / "locales"
DEFAULT_TIME_ZONE = "Europe/Paris"


class MissingCatalogue(RuntimeError):
    """A language's compiled catalogue is not there: its e-mails would go out in English."""


def load_translations(language: str, locales: Path = LOCALES) -> gettext.NullTranslations:
    """The translations of `language` from its compiled catalogue; the source language has none
    to load. A missing catalogue fails loudly rather than write English to a French guest."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    compiled = locales / language / "LC_MESSAGES" / "messages.mo"
    if not compiled.is_file():
        raise MissingCatalogue(
            f"no compiled catalogue for {language!r} at {compiled}: run `make catalogues`"
        )
    with compiled.open("rb") as catalogue:
        return Translations(catalogue, domain="messages")


def format_money(money: Mapping[str, Any], language: str) -> str:
    """`{"amount_minor": 4500, "currency": "EUR"}` as people write it in `language` ("45,00 €",
    "€45.00"); the minor units are the currency's (none for JPY, thousandths for KWD)."""
    currency = str(money["currency"])
    amount = Decimal(int(money["amount_minor"])).scaleb(-get_currency_precision(currency))
    return str(format_currency(amount, currency, locale=language))


def format_moment(moment: datetime, language: str, time_zone: str, form: str = "medium") -> str:
    """A moment as people write it in `language`, on the clock of `time_zone` (the venue's)."""
    return str(format_datetime(moment, form, tzinfo=ZoneInfo(time_zone), locale=language))


def _one_line(value: Any) -> Any:
    """Guests' words (name, note) on one line: they cannot lay out the message."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _environment(language: str, translations: gettext.NullTranslations) -> Environment:
    environment = Environment(
        loader=PackageLoader("convive.notifier", "templates"),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,  # a misspelt variable fails loudly, not as an empty string
        # Plain text: nothing to escape (an HTML template would be).
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]

    @pass_context
    def moment(context: Context, value: datetime, form: str = "medium") -> str:
        return format_moment(value, language, context["time_zone"], form)

    environment.filters["datetime"] = moment
    return environment


class MailTexts:
    """The e-mails' words in every language; made once per process (it fails there, at start,
    when a catalogue is missing)."""

    def __init__(self, locales: Path = LOCALES) -> None:
        self._environments = {
            language: _environment(language, load_translations(language, locales))
            for language in LANGUAGES
        }

    def environment(self, language: str) -> Environment:
        """The Jinja2 environment that writes in `language`."""
        if language not in self._environments:
            raise ValueError(f"no templates in {language!r}: one of {', '.join(LANGUAGES)}")
        return self._environments[language]

    def render(
        self,
        template: Template | str,
        language: str,
        context: Mapping[str, Any],
        *,
        venue_name: str,
        can_reply: bool,
        guest_email: str | None = None,
        time_zone: str | None = None,
    ) -> Rendered:
        """The subject and body of a notification in `language`."""
        environment = self.environment(language)
        name = context.get("offer_name") or {}
        view = {
            **{k: _one_line(v) for k, v in context.items()},
            "offer_name": _one_line(name.get(language) or next(iter(name.values()), "")),
            "offer_type": str(context.get("offer_type")),
            "price": format_money(context["price"], language),
            "venue_name": _one_line(venue_name),
            "can_reply": can_reply,
            "guest_email": guest_email,
            "note": _one_line(context.get("note")),
            "reason": _one_line(context.get("reason")),
            "auto_confirm": bool(context.get("auto_confirm")),
            "time_zone": time_zone or DEFAULT_TIME_ZONE,
        }
        text = environment.get_template(f"{Template(template).value}.txt").render(view)
        subject, _, body = text.partition("\n")
        return Rendered(subject=subject.strip(), text=body.lstrip("\n"))
