"""The shipped catalogs are complete, compiled and in use: a French contact's page and email are French,
an Arabic one's right to left."""
from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from survey.languages import SHIPPED

FOLDER = Path(__file__).resolve().parents[2] / "survey" / "translations"


@pytest.mark.parametrize("language", [tag for tag in SHIPPED if tag != "en"])
def test_each_catalog_is_complete_and_its_mo_file_agrees_with_it(language):
    folder = FOLDER / language / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as file:
        catalog = read_po(file)
    messages = [message for message in catalog if message.id]
    assert len(messages) > 100
    for message in messages:
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: {message.id!r} is not translated"
    with open(folder / "messages.mo", "rb") as file:
        compiled = gettext.GNUTranslations(file)
    for message in messages:
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[1 if language == "ar" else 0]
        else:
            assert compiled.gettext(message.id) == message.string, f"{language}: run make translations"


def test_a_page_follows_accept_language_and_the_switcher_and_arabic_is_right_to_left(client):
    page = client.get("/complain", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page and "Dites-nous ce qui n’a pas été" in page
    response = client.get("/complain?lang=ar", headers={"Accept-Language": "fr"})
    page = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "أخبرنا بما حدث من خطأ" in page
    assert "hearken_lang=ar" in response.headers["Set-Cookie"]
    # the choice is remembered over the browser's language
    again = client.get("/complain", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in again


def test_manager_pages_stay_english(client):
    page = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page


def _template_ids() -> set:
    """Every message `make translations` extracts (the template, messages.pot), read from the sources as its
    `pybabel extract -F babel.cfg -k lazy_gettext -k _l -k N_` does: a plural is its (singular, plural)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = FOLDER.parents[1]
    with open(root / "babel.cfg") as file:
        method_map, options_map = parse_mapping_cfg(file)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "N_": None}
    return {message for _file, _line, message, _comments, _context
            in extract_from_dir(str(root), method_map, options_map, keywords=keywords)}


# Each language's number of plural forms (CLDR, as its catalog's Plural-Forms header says): Arabic has six.
PLURAL_FORMS = {"fr": 3, "de": 2, "es": 3, "ar": 6}


def test_every_catalog_translates_every_message_of_the_template_in_every_plural_form():
    template = _template_ids()
    assert len(template) > 100
    assert set(PLURAL_FORMS) == {tag for tag in SHIPPED if tag != "en"}
    for language, forms in PLURAL_FORMS.items():
        with open(FOLDER / language / "LC_MESSAGES" / "messages.po", "rb") as file:
            catalog = read_po(file)
        assert catalog.num_plurals == forms, f"{language}: Plural-Forms says {catalog.num_plurals}"
        ids = {message.id for message in catalog if message.id}
        assert template - ids == set(), f"{language}: not in the catalog (run make translations)"
        assert ids - template == set(), f"{language}: no longer in the sources (run make translations)"
        for message in catalog:
            if not message.id:
                continue
            assert not message.fuzzy, f"{language}: {message.id!r} is fuzzy"
            if isinstance(message.id, tuple):
                assert len(message.string) == forms and all(message.string), f"{language}: {message.id!r}"


def test_arabic_counts_customers_in_its_six_forms():
    with open(FOLDER / "ar" / "LC_MESSAGES" / "messages.mo", "rb") as file:
        compiled = gettext.GNUTranslations(file)
    said = {n: compiled.ngettext("raised by %(count)s customer", "raised by %(count)s customers", n) % {"count": n}
            for n in (0, 1, 2, 3, 11, 100)}
    assert said == {0: "لم يُثره أي عميل", 1: "أثاره عميل واحد", 2: "أثاره عميلان", 3: "أثاره 3 عملاء",
                    11: "أثاره 11 عميلًا", 100: "أثاره 100 عميل"}
