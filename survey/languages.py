"""Languages: which ones the customer-facing interface ships catalogs for, how a language tag is written,
which way a language is read, and what a contact prefers.

Language tags are short BCP 47 tags as translators and browsers write them: a language (`fr`, `ar`) and
optionally a region (`pt-BR`). A survey may hold texts in a language that has no interface catalog (Italian
questions under English buttons): its texts are still shown, and the interface falls back to English.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from babel import Locale, UnknownLocaleError

DEFAULT = "en"
# The interface catalogs in survey/translations/ (English is the source text, so it has none).
SHIPPED = ("en", "fr", "de", "es", "ar")
# Scripts written right to left: the page's dir="rtl" makes screen readers and the layout follow.
RIGHT_TO_LEFT = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})
TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")
# The contact attribute that names a contact's language (a contacts CSV column `language`).
CONTACT_ATTRIBUTE = "language"


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "extract this message, translate it later")
    """Marks a message kept in a constant for the catalogs; it is translated where it is shown (gettext)."""
    return message


def normalise(tag: object) -> str | None:
    """`tag` as Hearken writes it ("fr", "pt-BR"), from "FR", "pt_br" or "pt-br"; None when it is not a tag."""
    if not isinstance(tag, str):
        return None
    language, _, region = tag.strip().replace("_", "-").partition("-")
    written = language.lower() + (f"-{region.upper()}" if region else "")
    return written if TAG.match(written) else None


def primary(tag: str) -> str:
    return tag.partition("-")[0]


def direction(tag: str) -> str:
    """"rtl" or "ltr", for the dir attribute."""
    return "rtl" if primary(tag) in RIGHT_TO_LEFT else "ltr"


def known(tag: str) -> bool:
    """Whether Babel (and so the date and number formats) knows the language."""
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    return True


def name(tag: str) -> str:
    """The language's name in itself ("Français", "العربية"), as a language switcher shows it."""
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return tag
    shown = locale.get_display_name(locale) or tag
    return shown[:1].upper() + shown[1:]


def english_name(tag: str) -> str:
    """The language's name in English and its tag ("French (fr)"), as the English manager pages show it."""
    try:
        return f"{Locale.parse(tag, sep='-').get_display_name('en')} ({tag})"
    except (ValueError, UnknownLocaleError):
        return tag


def matching(tag: str | None, offered: Iterable[str]) -> str | None:
    """The offered language `tag` asks for: itself, else one of the same language ("pt" for "pt-BR", "pt-BR"
    for "pt"); None when there is none."""
    if not tag:
        return None
    offered = list(offered)
    if tag in offered:
        return tag
    return next((each for each in offered if primary(each) == primary(tag)), None)


def contact_language(attributes: Mapping[str, str] | None) -> str | None:
    """The language a contact's attributes name (`language`), written as a tag, or None."""
    return normalise((attributes or {}).get(CONTACT_ATTRIBUTE))
