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
