"""A survey's texts as a translator's PO file, and the translations read back from one.

One PO file per language (gettext's format: Poedit, Weblate, Crowdin, Lokalise and memoQ read it): each
text is one entry whose context (msgctxt) is where it lives (`translations.texts`: "title",
"questions.rating.text", "questions.channel.options.2"), whose msgid is the default language's text and whose
msgstr is the translation. The header's Language names the language and Project-Id-Version the survey and
its version, so a file goes back to the survey it came from.

Reading one back checks it whole before changing anything: a translation whose placeholders differ from its
source text, one too long, or a file that is not this survey's is refused, naming the text, and nothing is
stored. What a translator left aside is reported, not refused: texts missing from the file, untranslated
(empty msgstr), marked fuzzy (a guess a tool made), or translated from a source text that has changed since
the file was written. Those keep the translation the survey had, if any.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po

from survey import languages
from survey.authoring import translations as translating
from survey.authoring.editing import editable_version
from survey.extensions import db
from survey.models import Survey, SurveyVersion


class TranslationFileError(Exception):
    """The file was refused, nothing changed: `problems` say what and where (the text's place)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Report:
    """What an imported file gave: how many texts it translated of how many, and which it did not."""

    language: str
    version: int
    translated: int
    total: int
    missing: tuple[str, ...] = ()  # places not in the file
    untranslated: tuple[str, ...] = ()  # empty msgstr
    fuzzy: tuple[str, ...] = ()  # marked fuzzy: a guess, not a translation
    outdated: tuple[str, ...] = ()  # its msgid is no longer the survey's text there

    def lines(self) -> list[str]:
        """The report in sentences, as the page and the command print it."""
        said = [f"{languages.name(self.language)} ({self.language}): {self.translated} of {self.total} texts "
                f"translated; saved in version {self.version}."]
        for label, places in (("missing from the file", self.missing), ("not translated", self.untranslated),
                              ("marked fuzzy, not used", self.fuzzy),
                              ("translated from an older text, not used", self.outdated)):
            if places:
                said.append(f"{len(places)} {label}: {', '.join(places)}")
        return said


def coverage(version: SurveyVersion) -> list[tuple[str, int, int]]:
    """Each language the version has translations for: (tag, texts translated, texts in all)."""
    places = translating.texts(version)
    return [(language, sum(1 for where, _text in places if translating.lookup(translation, where)), len(places))
            for language, translation in sorted((version.translations or {}).items())]


def offered(version: SurveyVersion) -> list[str]:
    """The languages a translator's file can be asked for: the shipped interface languages and those the
    survey has, but not its own."""
    own = version.language or languages.DEFAULT
    return sorted({*languages.SHIPPED, *(version.translations or {})} - {own})


def check_language(survey: Survey, tag: str | None) -> str:
    version = survey.current_version
    language = languages.normalise(tag)
    if language is None or not languages.known(language):
        raise TranslationFileError([f"{tag!r} is not a language tag such as fr, de or pt-BR"])
    if language == (version.language or languages.DEFAULT):
        raise TranslationFileError([f"{language} is the survey's own language: its texts are the survey's"])
    return language


def export_po(survey: Survey, language: str, now: datetime) -> bytes:
    """The survey's current texts as a PO file for `language`, with the translations it already has."""
    version = survey.current_version
    language = check_language(survey, language)
    catalog = Catalog(locale=language.replace("-", "_"), project=survey.slug, version=str(version.number),
                      creation_date=now, revision_date=now, fuzzy=False, charset="utf-8",
                      header_comment=f"# {version.title}: texts to translate into {languages.name(language)}.\n"
                                     "# msgctxt is where the text is shown; keep {placeholders} as they are.")
    existing = (version.translations or {}).get(language)
    for where, text in translating.texts(version):
        catalog.add(text, translating.lookup(existing, where), context=where)
    out = io.BytesIO()
    write_po(out, catalog, width=0, sort_output=False, omit_header=False)
    return out.getvalue()


def _read(data: bytes) -> Catalog:
    try:
        return read_po(io.BytesIO(data), abort_invalid=True, charset="utf-8")
    except UnicodeDecodeError:
        raise TranslationFileError(["the file is not UTF-8 text; save it as a PO file in UTF-8"]) from None
    except PoFileError as error:
        raise TranslationFileError([f"the file is not a PO file we can read: {error}".replace(" on 0", "")]) from None
    except Exception:  # noqa: BLE001 (babel raises what its parsing meets; the file is all we can blame)
        raise TranslationFileError(["the file is not a PO file we can read"]) from None


def read_translations(survey: Survey, data: bytes) -> tuple[str, dict, Report]:
    """The language, its translations as a definition holds them (what the survey had where the file gives
    nothing new) and the report; raises TranslationFileError, naming each problem, for a file to refuse."""
    version = survey.current_version
    catalog = _read(data)
    language = _language_of(survey, catalog)
    given = {message.context: message for message in catalog if message.id and message.context}
    existing = (version.translations or {}).get(language)
    problems: list[str] = []
    found: dict[str, str] = {}
    missing, untranslated, fuzzy, outdated = [], [], [], []
    for where, source in translating.texts(version):
        message = given.get(where)
        kept = translating.lookup(existing, where)
        if message is None:
            missing.append(where)
        elif message.id != source:
            outdated.append(where)
        elif message.fuzzy:
            fuzzy.append(where)
        elif not (text := (message.string if isinstance(message.string, str) else "").strip()):
            untranslated.append(where)
        else:
            problems += _problems(where, source, text)
            found[where] = text
            continue
        if kept:
            found[where] = kept
    if problems:
        raise TranslationFileError(problems)
    texts = _nested(version, found)
    # The definition's own rules as well, so a file can never store what a definition could not hold.
    checked: list[str] = []
    stored = translating.parse_translations({language: texts}, version.language or languages.DEFAULT, version,
                                            checked)
    if checked:
        raise TranslationFileError(checked)
    total = len(translating.texts(version))
    report = Report(language, version.number, total - len(missing) - len(untranslated) - len(fuzzy) - len(outdated),
                    total, tuple(missing), tuple(untranslated), tuple(fuzzy), tuple(outdated))
    return language, stored.get(language, {}), report


def _language_of(survey: Survey, catalog: Catalog) -> str:
    """The file's language, from its header, once the header says the file is this survey's."""
    # Babel calls a file without a Project-Id-Version "PROJECT": that says nothing about whose it is.
    if catalog.project not in ("", "PROJECT", survey.slug):
        raise TranslationFileError([f"the file is for the survey {catalog.project!r}, not {survey.slug!r}"])
    if catalog.locale is None:
        raise TranslationFileError(["the file names no language: its header needs a Language line, e.g. "
                                    "\"Language: fr\\n\""])
    return check_language(survey, str(catalog.locale).replace("_", "-"))


def _problems(where: str, source: str, text: str) -> list[str]:
    problems = []
    limit = translating.limit_of(where)
    if len(text) > limit:
        problems.append(f"{where}: the translation is longer than {limit} characters")
    if problem := translating.placeholder_problem(source, text):
        problems.append(f"{where}: {problem}")
    return problems


def _nested(version: SurveyVersion, found: Mapping[str, str]) -> dict:
    """The places' texts as the definition's "translations" hold one language."""
    texts: dict = {name: found[name] for name in translating.SURVEY_TEXTS if found.get(name)}
    sections: dict = {}
    for section in translating.sections_of(version):
        prefix = f"sections.{section['key']}."
        if given := {name: found[prefix + name] for name in translating.SECTION_TEXTS if found.get(prefix + name)}:
            sections[section["key"]] = given
    if sections:
        texts["sections"] = sections
    questions: dict = {}
    for question in version.questions:
        prefix = f"questions.{question.key}."
        entry: dict = {name: found[prefix + name] for name in translating.QUESTION_TEXTS if found.get(prefix + name)}
        options = [found.get(f"{prefix}options.{i}", "") for i in range(1, len(question.options or ()) + 1)]
        if question.type in translating.OPTION_LISTS and any(options):
            entry["options"] = options
        statements = {s["key"]: found[f"{prefix}statements.{s['key']}"] for s in translating.statements_of(question)
                      if found.get(f"{prefix}statements.{s['key']}")}
        if statements:
            entry["statements"] = statements
        if entry:
            questions[question.key] = entry
    if questions:
        texts["questions"] = questions
    return texts


def import_po(survey: Survey, data: bytes, *, now: datetime) -> Report:
    """Store a translator's file as the survey's translations into its language, the way an edit is stored:
    in the current version while it has no responses, else in a new version (live at once when published).
    A refused file raises TranslationFileError and changes nothing."""
    language, texts, report = read_translations(survey, data)
    current = survey.current_version
    translations = {**(current.translations or {}), language: texts}
    if not texts:
        del translations[language]
    if translations == (current.translations or {}):
        return report
    version = editable_version(survey, now)
    version.translations = translations or None
    survey.updated_at = now
    db.session.commit()
    return Report(report.language, version.number, report.translated, report.total, report.missing,
                  report.untranslated, report.fuzzy, report.outdated)

