"""The gateway's words in French and English: every message of the code and the templates (as
`make translations` extracts them with babel.cfg) has a French translation, neither missing nor
fuzzy, with the same placeholders; plural forms follow each language's rule; a catalogue that
was not compiled stops the gateway rather than showing English to French readers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from convive.contracts.base import Money
from convive.gateway.web import language
from convive.gateway.web.language import CatalogueMissing, Language

SERVICE = Path(__file__).resolve().parents[1]
PACKAGE = SERVICE / "src" / "convive" / "gateway"
FRENCH = PACKAGE / "locales" / "fr" / "LC_MESSAGES" / "messages.po"


def extracted() -> Catalog:
    """The messages of the code and templates, as `make translations` extracts them."""
    with (SERVICE / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map, options_map
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def french() -> Catalog:
    with FRENCH.open("rb") as po:
        return read_po(po, locale="fr")


def test_every_message_of_the_code_and_templates_has_a_french_translation() -> None:
    source, catalog = extracted(), french()
    assert len(source) > 400  # the extraction found the gateway's words
    untranslated = []
    for message in source:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        strings = found.string if found is not None else ""
        if isinstance(strings, str):
            strings = (strings,)
        if found is None or found.fuzzy or not all(strings):
            untranslated.append((message.context, message.id))
    assert untranslated == []


def test_the_french_catalogue_has_no_message_the_code_no_longer_says() -> None:
    source = {(m.context, m.id) for m in extracted() if m.id}
    obsolete = [(m.context, m.id) for m in french() if m.id and (m.context, m.id) not in source]
    assert obsolete == []


def test_each_translation_keeps_the_placeholders_of_its_message() -> None:
    problems = [
        (message.id, [str(error) for error in errors]) for message, errors in french().check()
    ]
    assert problems == []
    for message in french():
        if message.id and "{" in str(message.id):  # the live notices' scripts fill `{names}`
            wanted = {part.split("}")[0] for part in str(message.id).split("{")[1:]}
            got = {part.split("}")[0] for part in str(message.string).split("{")[1:]}
            assert got == wanted, message.id


def test_plural_forms_follow_each_language() -> None:
    fr, en = Language("fr"), Language("en")
    guests = ("%(num)d guest", "%(num)d guests")
    assert [fr.ngettext(*guests, n) for n in (0, 1, 3)] == [
        "0 convive",
        "1 convive",
        "3 convives",
    ]
    assert [en.ngettext(*guests, n) for n in (0, 1, 3)] == ["0 guests", "1 guest", "3 guests"]
    items = ("%(num)d item", "%(num)d items")
    assert (en.ngettext(*items, 1), en.ngettext(*items, 2)) == ("1 item", "2 items")
    assert (fr.ngettext(*items, 1), fr.ngettext(*items, 2)) == ("1 article", "2 articles")


def test_money_has_the_currencys_own_decimals() -> None:
    fr, en = Language("fr"), Language("en")
    assert fr.money(Money(amount_minor=123450, currency="EUR")) == "1\u202f234,50\u00a0€"
    assert en.money(Money(amount_minor=1250, currency="EUR")) == "€12.50"
    assert en.money(Money(amount_minor=1250, currency="JPY")) == "¥1,250"
    assert en.money(Money(amount_minor=12345, currency="KWD")) == "KWD12.345"


def test_times_are_written_one_way_in_the_venues_time_zone() -> None:
    moment = datetime(2026, 11, 22, 12, 25, tzinfo=UTC)
    paris, new_york = Language("en"), Language("fr", "America/New_York")
    assert paris.time(moment) == "13:25"
    assert Language("fr").time(moment) == "13:25"
    assert new_york.time(moment) == "07:25"
    assert paris.when(moment) == "Nov 22, 2026 13:25"
    assert Language("fr").when(moment) == "22 nov. 2026 13:25"
    assert Language("en", "Not/A_Zone").time(moment) == "13:25"  # an unknown zone: Paris


def test_a_catalogue_not_compiled_stops_the_gateway(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(language, "LOCALES", tmp_path)
    language.catalogue.cache_clear()
    try:
        with pytest.raises(CatalogueMissing, match="make catalogues"):
            language.load_catalogues()
    finally:
        language.catalogue.cache_clear()
