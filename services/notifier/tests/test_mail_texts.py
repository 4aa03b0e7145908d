"""The e-mails' words, without I/O: one template per e-mail in English, French from the gettext
catalogue (compiled by `make catalogues`), money as Babel writes it in each language, moments in
the venue's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from convive.notifier.adapters.mail_texts import (
    LOCALES,
    MailTexts,
    MissingCatalogue,
    format_moment,
    format_money,
)
from convive.notifier.domain.emails import OfferOrderForMail, Template, on_offer_ordered

SERVICE = Path(__file__).parents[1]
PACKAGE = SERVICE / "src" / "convive" / "notifier"


@pytest.fixture(scope="module")
def texts() -> MailTexts:
    return MailTexts()


def test_money_is_written_as_people_write_it_in_each_language() -> None:
    assert format_money({"amount_minor": 2500, "currency": "EUR"}, "fr") == "25,00\u00a0€"
    assert format_money({"amount_minor": 2500, "currency": "EUR"}, "en") == "€25.00"
    assert format_money({"amount_minor": 123456, "currency": "EUR"}, "fr") == "1\u202f234,56\u00a0€"
    assert format_money({"amount_minor": 123456, "currency": "EUR"}, "en") == "€1,234.56"
    # Babel writes the yen with its symbol in English (the hand-written formatter wrote
    # "JPY\u00a01,500"), and a currency with no minor unit without decimals.
    assert format_money({"amount_minor": 1500, "currency": "JPY"}, "en") == "¥1,500"


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        (
            "fr",
            "Hôtel Lumière : nous avons bien reçu votre demande « Petit-déjeuner en chambre »",
            ["Bonjour Zoé Martin,", "25,00\u00a0€", "Chambre 112", "Vers 8 h, sans gluten"],
        ),
        (
            "en",
            'Hôtel Lumière: we have received your request "Breakfast in bed"',
            ["Hello Zoé Martin,", "€25.00", "Chambre 112", "Vers 8 h, sans gluten"],
        ),
    ],
)
def test_the_guest_reads_their_language(
    texts: MailTexts, language: str, subject: str, words: list[str], offer_ordered: Any
) -> None:
    event = offer_ordered(language=language)
    guest, _ = on_offer_ordered(OfferOrderForMail.of(event), event, "e1")
    rendered = texts.render(
        guest.template, language, guest.context, venue_name="Hôtel Lumière", can_reply=True
    )
    assert rendered.subject == subject
    for word in words:
        assert word in rendered.text
    assert ("Répondez" if language == "fr" else "reply") in rendered.text
    silent = texts.render(
        guest.template, language, guest.context, venue_name="Hôtel Lumière", can_reply=False
    )
    assert "Répondez" not in silent.text
    assert "reply" not in silent.text


def test_every_template_exists_in_both_languages(texts: MailTexts, offer_ordered: Any) -> None:
    event = offer_ordered(auto_confirm=True)
    context = {**OfferOrderForMail.of(event).context, "reason": "complet"}
    for template in Template:
        for language in ("fr", "en"):
            rendered = texts.render(
                template,
                language,
                context,
                venue_name="Hôtel Lumière",
                can_reply=True,
                guest_email="zoe@example.org",
            )
            assert rendered.subject, (template, language)
            assert "\n" not in rendered.subject
            assert rendered.text.strip(), (template, language)


def test_the_property_mail_says_who_asked_for_what_and_how_to_answer(
    texts: MailTexts, offer_ordered: Any
) -> None:
    event = offer_ordered(auto_confirm=False)
    _, prop = on_offer_ordered(OfferOrderForMail.of(event), event, "e1")
    rendered = texts.render(
        prop.template,
        "en",
        prop.context,
        venue_name="Hôtel Lumière",
        can_reply=True,
        guest_email=prop.reply_to,
    )
    assert rendered.subject == "New request: Breakfast in bed — Chambre 112"
    assert "Zoé Martin (Chambre 112)" in rendered.text
    assert "zoe@example.org" in rendered.text
    assert "Confirm (or cancel) it" in rendered.text
    assert "oo1" in rendered.text


def test_a_language_without_templates_is_refused(texts: MailTexts, offer_ordered: Any) -> None:
    context = OfferOrderForMail.of(offer_ordered()).context
    with pytest.raises(ValueError, match="no templates in 'de'"):
        texts.render(Template.OFFER_RECEIVED, "de", context, venue_name="X", can_reply=False)


def test_a_currency_without_minor_unit_and_one_with_thousandths() -> None:
    # ISO 4217 (through Babel): the yen has no minor unit, the Kuwaiti dinar has 1000 fils.
    assert format_money({"amount_minor": 123456, "currency": "JPY"}, "en") == "¥123,456"
    assert (
        format_money({"amount_minor": 123456, "currency": "JPY"}, "fr") == "123\u202f456\u00a0JPY"
    )
    assert format_money({"amount_minor": 12345, "currency": "KWD"}, "en") == "KWD12.345"
    assert format_money({"amount_minor": 12345, "currency": "KWD"}, "fr") == "12,345\u00a0KWD"
    assert format_money({"amount_minor": -1050, "currency": "EUR"}, "fr") == "-10,50\u00a0€"


def test_a_moment_is_written_on_the_venues_clock_in_the_readers_language(
    texts: MailTexts,
) -> None:
    at = datetime(2025, 6, 1, 6, 30, tzinfo=UTC)
    assert format_moment(at, "fr", "Europe/Paris") == "1 juin 2025, 08:30:00"
    assert format_moment(at, "en", "America/New_York", "short") == "6/1/25, 2:30\u202fAM"
    # what a template writes with the `datetime` filter: the venue's time zone is the render's
    template = texts.environment("fr").from_string("{{ at|datetime('short') }}")
    assert template.render(at=at, time_zone="Asia/Tokyo") == "01/06/2025 15:30"


def test_every_word_of_the_code_has_its_french_translation() -> None:
    """What `make translations` would extract from the code today, each found translated in
    the French catalogue: none missing, none empty, none fuzzy (a guessed translation that
    nobody checked)."""
    with (SERVICE / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    extracted = {
        (message if isinstance(message, str) else message[0], context)
        for _, _, message, _, context in extract_from_dir(str(PACKAGE), method_map, options_map)
    }
    assert len(extracted) > 20  # the e-mails' lines were found
    with (LOCALES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        french = read_po(po, locale="fr")
    for msgid, context in sorted(extracted, key=repr):
        entry = french.get(msgid, context=context)
        assert entry is not None, f"not in the French catalogue: {msgid!r}"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(strings), f"not translated: {msgid!r}"
        assert not entry.fuzzy, f"fuzzy: {msgid!r}"
    stale = {(m.id, m.context) for m in french if m.id} - {(i, c) for i, c in extracted}
    assert not stale, f"translated but no longer in the code: {stale}"


def test_a_missing_compiled_catalogue_fails_loudly(tmp_path: Path) -> None:
    # Never English to a French guest because `make catalogues` did not run.
    with pytest.raises(MissingCatalogue, match="make catalogues"):
        MailTexts(locales=tmp_path)
