"""A survey's texts in other languages: checked when a definition is read (`parse_translations`), and looked
up per text with a fallback to the survey's default language (`translated`, `localised`).

A definition's "translations" map a language to the texts a translator gives for it:

    "translations": {"fr": {"title": "Comment avons-nous fait ?",
                            "questions": {"channel": {"text": "Comment nous avez-vous contactés ?",
                                                      "options": ["Téléphone", "E-mail"]}}}}

Every text is optional, so a half-done translation shows what is translated and the default language for the
rest. Answers are stored by key and by option position, never as the text shown, so results combine every
language. The texts that can be translated are listed once, by `texts(version)` ("title", "intro",
"questions.<key>.text", …): the translator's files and the lookups follow it, so a new kind of text (a
section's title, a matrix's statements) is added there and in `localised`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext

from survey import languages
from survey.authoring.piping import placeholders

SURVEY_TEXTS = {"title": 200, "intro": 2000}  # text → its longest length, as the definition's own
QUESTION_TEXTS = {"text": 2000, "why": 500}
OPTION_LIMIT = 200
SECTION_TEXTS = {"title": 200, "intro": 2000}  # a section's (display logic), as the definition's own
STATEMENT_LIMIT = 500  # a matrix statement's
OPTION_LISTS = {"rating": "scale", "choice": "options", "multi": "options"}


def languages_of(version) -> tuple[str, ...]:
    """The version's default language first, then the languages it has translations for."""
    return (version.language or languages.DEFAULT, *sorted(version.translations or {}))


def sections_of(version) -> list[dict[str, str]]:
    """The version's sections as {"key", "title", "intro"}: a stored version's (dicts) or a definition's
    (SectionSpec); [] without sections."""
    return [dict(section) if isinstance(section, Mapping)
            else {"key": section.key, "title": section.title, "intro": section.intro}
            for section in getattr(version, "sections", None) or ()]


def statements_of(question) -> list[dict[str, str]]:
    """A matrix's statements as {"key", "text"} (a stored question's or a definition's); [] for other types."""
    return list((question.settings or {}).get("statements", ()))


def limit_of(where: str) -> int:
    """The longest a translation of the text at `where` (a name from `texts`) may be."""
    parts = where.split(".")
    if parts[0] == "sections":
        return SECTION_TEXTS[parts[-1]]
    if parts[0] == "questions":
        return {"options": OPTION_LIMIT, "statements": STATEMENT_LIMIT}.get(parts[2]) or QUESTION_TEXTS[parts[2]]
    return SURVEY_TEXTS[where]


def texts(version) -> list[tuple[str, str]]:
    """Every translatable text of `version` in the default language, as (where, text): "title", "intro",
    "sections.<key>.title", "sections.<key>.intro", "questions.<key>.text", "questions.<key>.why",
    "questions.<key>.options.<n>" (n from 1), "questions.<key>.statements.<statement key>". Empty texts are
    left out (there is nothing to translate)."""
    found = [(name, getattr(version, name) or "") for name in SURVEY_TEXTS]
    for section in sections_of(version):
        found += [(f"sections.{section['key']}.{name}", section.get(name) or "") for name in SECTION_TEXTS]
    for question in version.questions:
        found += [(f"questions.{question.key}.{name}", getattr(question, name) or "") for name in QUESTION_TEXTS]
        if question.type in OPTION_LISTS:
            found += [(f"questions.{question.key}.options.{i}", label)
                      for i, label in enumerate(question.options or (), start=1)]
        found += [(f"questions.{question.key}.statements.{statement['key']}", statement["text"])
                  for statement in statements_of(question)]
    return [(where, text) for where, text in found if text]


def lookup(translation: Mapping[str, Any] | None, where: str) -> str:
    """The translated text at `where` (a name from `texts`) in one language's translations, or ""."""
    node: Any = translation or {}
    for part in where.split("."):
        if isinstance(node, list):
            index = int(part) - 1 if part.isdigit() else -1
            node = node[index] if 0 <= index < len(node) else None
        elif isinstance(node, Mapping):
            node = node.get(part)
        else:
            return ""
    return node if isinstance(node, str) else ""


def translated(version, language: str) -> dict[str, str]:
    """Every text of `version` in `language`, by where it lives (`texts`), each falling back to the default
    language's when it has no translation."""
    translation = (version.translations or {}).get(language)
    return {where: lookup(translation, where) or text for where, text in texts(version)}


def placeholder_problem(source: str, translation: str) -> str | None:
    """Why a translation may not replace `source`: its placeholders differ (a dropped {contact.name}, a
    translated {answers.rating}); fallbacks are words and may be translated. None when they agree."""
    def named(text: str) -> Counter:
        return Counter(f"{{{p.scope}.{p.name}}}" for p in placeholders(text))

    expected, given = named(source), named(translation)
    if expected == given:
        return None
    return (f"its placeholders ({', '.join(sorted(given.elements())) or 'none'}) must be the source text's "
            f"({', '.join(sorted(expected.elements())) or 'none'})")


# --- the definition's "language" and "translations" ------------------------------------------------------

def parse_language(value, where: str, problems: list[str]) -> str:
    if value is None:
        return languages.DEFAULT
    tag = languages.normalise(value)
    if tag is None or tag != value or not languages.known(tag):
        problems.append(f"{where}: must be a language tag such as en, fr or pt-BR, got {value!r}")
        return languages.DEFAULT
    return tag


def parse_translations(data, default: str, version, problems: list[str]) -> dict[str, dict]:
    """The definition's "translations", checked against `version` (anything with title, intro and questions
    as texts() reads them: a SurveySpec): every problem is added to `problems` with the language and the key,
    and the texts come back without empty ones, as they are stored."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append("translations: must be an object of languages, e.g. {\"fr\": {…}}")
        return {}
    questions = {q.key: q for q in version.questions}
    result: dict[str, dict] = {}
    for language, translation in data.items():
        where = f"translations.{language}"
        tag = parse_language(language, where, problems)
        if tag != language:
            continue
        if tag == default:
            problems.append(f"{where}: is the survey's own language; its texts are the definition's")
            continue
        if not isinstance(translation, dict):
            problems.append(f"{where}: must be an object with title, intro, sections and questions")
            continue
        result[tag] = _translation(translation, version, questions, where, problems)
    return {tag: texts for tag, texts in result.items() if texts}


def _translation(data: dict, version, questions: Mapping, where: str, problems: list[str]) -> dict:
    texts: dict[str, Any] = {}
    for name in sorted(set(data) - {*SURVEY_TEXTS, "sections", "questions"}):
        problems.append(f"{where}.{name}: unknown field")
    for name, limit in SURVEY_TEXTS.items():
        if text := _text(data.get(name), getattr(version, name) or "", f"{where}.{name}", limit, problems):
            texts[name] = text
    if found_sections := _sections(data.get("sections"), version, where, problems):
        texts["sections"] = found_sections
    if found := _questions(data.get("questions"), questions, where, problems):
        texts["questions"] = found
    return texts


def _sections(raw, version, where: str, problems: list[str]) -> dict:
    """A translation's "sections": section key → {"title", "intro"}."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}.sections: must be an object of section keys")
        return {}
    sections = {section["key"]: section for section in sections_of(version)}
    found: dict[str, dict] = {}
    for key, given in raw.items():
        place = f"{where}.sections.{key}"
        section = sections.get(key)
        if section is None:
            problems.append(f"{place}: no section has the key {key!r}")
            continue
        if not isinstance(given, dict):
            problems.append(f"{place}: must be an object with title and intro")
            continue
        for name in sorted(set(given) - set(SECTION_TEXTS)):
            problems.append(f"{place}.{name}: unknown field")
        entry = {name: text for name, limit in SECTION_TEXTS.items()
                 if (text := _text(given.get(name), section.get(name) or "", f"{place}.{name}", limit, problems))}
        if entry:
            found[key] = entry
    return found


def _statements(raw, question, where: str, problems: list[str]) -> dict[str, str]:
    """A matrix question's translated "statements": statement key → text."""
    source = {statement["key"]: statement["text"] for statement in statements_of(question)}
    if not source:
        problems.append(f"{where}: a {question.type} question has no statements to translate")
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object of statement keys, e.g. {{\"{next(iter(source))}\": …}}")
        return {}
    found = {}
    for key, value in raw.items():
        if key not in source:
            problems.append(f"{where}.{key}: no statement has the key {key!r}")
        elif text := _text(value, source[key], f"{where}.{key}", STATEMENT_LIMIT, problems):
            found[key] = text
    return found


def _questions(raw, questions: Mapping, where: str, problems: list[str]) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}.questions: must be an object of question keys")
        return {}
    translated_questions = {}
    for key, question_texts in raw.items():
        place = f"{where}.questions.{key}"
        question = questions.get(key)
        if question is None:
            problems.append(f"{place}: no question has the key {key!r}")
        elif not isinstance(question_texts, dict):
            problems.append(f"{place}: must be an object with text, why and options")
        elif found := _question(question_texts, question, place, problems):
            translated_questions[key] = found
    return translated_questions


def _question(data: dict, question, where: str, problems: list[str]) -> dict:
    found: dict[str, Any] = {}
    for name in sorted(set(data) - {*QUESTION_TEXTS, "options", "statements"}):
        problems.append(f"{where}.{name}: unknown field")
    for name, limit in QUESTION_TEXTS.items():
        if text := _text(data.get(name), getattr(question, name) or "", f"{where}.{name}", limit, problems):
            found[name] = text
    if "options" in data:
        options = _options(data["options"], question, f"{where}.options", problems)
        if options:
            found["options"] = options
    if "statements" in data and (statements := _statements(data["statements"], question, f"{where}.statements",
                                                           problems)):
        found["statements"] = statements
    return found


def _options(raw, question, where: str, problems: list[str]) -> list[str]:
    source: Sequence[str] = question.options or ()
    if question.type not in OPTION_LISTS:
        problems.append(f"{where}: a {question.type} question has no options to translate")
        return []
    if not isinstance(raw, list) or len(raw) != len(source):
        count = len(raw) if isinstance(raw, list) else "no list"
        problems.append(f"{where}: needs {len(source)} labels, one per option in the same order, got {count}")
        return []
    options = [_text(label, text, f"{where}[{i}]", OPTION_LIMIT, problems) for i, (label, text)
               in enumerate(zip(raw, source, strict=True))]
    if question.type == "multi" and any(";" in option for option in options):
        problems.append(f"{where}: an option may not contain “;”, which separates ticked options in CSV files")
    # An option left empty falls back to the default language's; none translated is none at all.
    return options if any(options) else []


def _text(value, source: str, where: str, limit: int, problems: list[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{where}: must be text")
        return ""
    value = value.replace("\x00", "").strip()
    if len(value) > limit:
        problems.append(f"{where}: is longer than {limit} characters")
    if value and not source:
        problems.append(f"{where}: the survey has no text here to translate")
    elif value and (problem := placeholder_problem(source, value)):
        problems.append(f"{where}: {problem}")
    return value


def current_translations(version) -> dict[str, dict]:
    """The version's translations as a definition writes them: only texts the version still has (a question
    or section removed or an option list changed in the editor since leaves its translation behind, unused)."""
    kept: dict[str, dict] = {}
    for language, translation in sorted((version.translations or {}).items()):
        texts = {name: translation[name] for name in SURVEY_TEXTS
                 if translation.get(name) and getattr(version, name)}
        sections = {}
        for section in sections_of(version):
            given = (translation.get("sections") or {}).get(section["key"]) or {}
            if entry := {name: given[name] for name in SECTION_TEXTS if given.get(name) and section.get(name)}:
                sections[section["key"]] = entry
        if sections:
            texts["sections"] = sections
        questions = {}
        for question in version.questions:
            if entry := _kept_question(question, (translation.get("questions") or {}).get(question.key) or {}):
                questions[question.key] = entry
        if questions:
            texts["questions"] = questions
        if texts:
            kept[language] = texts
    return kept


def _kept_question(question, given: Mapping[str, Any]) -> dict:
    entry: dict[str, Any] = {name: given[name] for name in QUESTION_TEXTS
                             if given.get(name) and getattr(question, name)}
    if len(given.get("options") or ()) == len(question.options or ()) and given.get("options"):
        entry["options"] = list(given["options"])
    statement_keys = {statement["key"] for statement in statements_of(question)}
    if statements := {k: v for k, v in (given.get("statements") or {}).items() if v and k in statement_keys}:
        entry["statements"] = statements
    return entry


# --- what a page shows --------------------------------------------------------------------------------

class _Localised:
    """A stored object seen through one language: the attributes named in `texts` translated, every other
    read from the object itself (so an attribute added to the model needs nothing here to be shown)."""

    def __init__(self, original, texts: dict[str, Any]):
        self._original = original
        self._texts = texts

    def __getattr__(self, name: str):
        if name in self._texts:
            return self._texts[name]
        return getattr(self._original, name)


def localised(version, language: str):
    """`version` as a customer reading `language` sees it: its title, intro and questions (text, why,
    options and the labels of `choices`) translated, each falling back to the default language's. What a
    customer sends is unchanged: a choice's value stays the default language's option."""
    shown = translated(version, language)
    questions = []
    for question in version.questions:
        prefix = f"questions.{question.key}."
        options = [shown.get(f"{prefix}options.{i}", label) for i, label in enumerate(question.options or (), 1)]
        if question.type == "yesno":
            choices = [("yes", gettext("Yes")), ("no", gettext("No"))]
        elif question.type in OPTION_LISTS:
            # One label per option; what follows them ("Other") is the interface's word.
            choices = [(value, options[i] if i < len(options) else gettext(label))
                       for i, (value, label) in enumerate(question.choices)]
        else:
            choices = question.choices
        statements = [{**statement, "text": shown.get(f"{prefix}statements.{statement['key']}", statement["text"])}
                      for statement in statements_of(question)]
        questions.append(_Localised(question, {"text": shown.get(prefix + "text", question.text),
                                               "why": shown.get(prefix + "why", question.why),
                                               "options": options, "choices": choices, "statements": statements}))
    # A section keeps its key and condition; only its title and intro are shown in `language`.
    sections = [{**section, **{name: shown.get(f"sections.{section['key']}.{name}", section.get(name))
                               for name in SECTION_TEXTS if section.get(name)}}
                for section in (version.sections or ())]
    return _Localised(version, {"title": shown.get("title", version.title), "intro": shown.get("intro", version.intro),
                                "questions": questions, "sections": sections or version.sections,
                                "shown_language": language})

