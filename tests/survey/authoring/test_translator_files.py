"""The translator's exchange: a PO file per language out, the translations back in with a report; a refused
file changes nothing; the CLI and the manager's page."""
from __future__ import annotations

import io

import pytest
from babel.messages.pofile import read_po, write_po
from sqlalchemy import func, select

from survey.authoring import translator_files
from survey.authoring.editing import find_survey
from survey.extensions import db
from survey.models import SurveyVersion
from tests.factories import NOW, add_answers, make_survey, make_user
from tests.pages import csrf_token, log_in, text_of


def fill(po: bytes, translations: dict[str, str], *, fuzzy: tuple[str, ...] = (), drop: tuple[str, ...] = ()):
    """A translator's work on an exported file: msgstr by msgctxt."""
    catalog = read_po(io.BytesIO(po))
    for message in list(catalog):
        if message.context in translations:
            message.string = translations[message.context]
        if message.context in fuzzy:
            message.flags.add("fuzzy")
        if message.context in drop:
            catalog.delete(message.id, context=message.context)
    out = io.BytesIO()
    write_po(out, catalog)
    return out.getvalue()


FRENCH = {"title": "Comment avons-nous fait ?", "questions.channel.text": "Comment nous avez-vous contactés ?",
          "questions.channel.options.1": "Téléphone", "questions.channel.options.2": "E-mail",
          "questions.channel.options.3": "En magasin", "questions.resolved.text": "Le problème est-il résolu ?"}


def test_the_exported_file_holds_every_text_with_its_place(ctx):
    survey = make_survey()
    catalog = read_po(io.BytesIO(translator_files.export_po(survey, "fr", NOW)))
    assert str(catalog.locale) == "fr" and catalog.project == "support-csat"
    places = {message.context: message.id for message in catalog if message.id}
    assert places["questions.satisfaction.text"] == "Overall, how satisfied are you with our service?"
    assert places["questions.channel.options.3"] == "In store"
    assert places["intro"] == "Two minutes, six questions." and "questions.comment.why" not in places
    assert len(places) == 2 + 6 + 1 + 5 + 3 + 3  # title, intro, six questions, a why, options and scale


def test_importing_stores_what_is_translated_and_reports_the_rest(ctx):
    survey = make_survey(status="draft")
    po = fill(translator_files.export_po(survey, "fr", NOW), {**FRENCH, "intro": "Deux minutes."},
              fuzzy=("intro",), drop=("questions.comment.text",))
    report = translator_files.import_po(survey, po, now=NOW)
    assert (report.language, report.translated, report.total, report.version) == ("fr", 6, 20, 1)
    assert report.missing == ("questions.comment.text",) and report.fuzzy == ("intro",)
    assert "questions.satisfaction.text" in report.untranslated
    assert report.lines()[0] == "Français (fr): 6 of 20 texts translated; saved in version 1."
    version = find_survey("support-csat").current_version
    assert version.translations == {"fr": {
        "title": "Comment avons-nous fait ?",
        "questions": {"channel": {"text": "Comment nous avez-vous contactés ?",
                                  "options": ["Téléphone", "E-mail", "En magasin"]},
                      "resolved": {"text": "Le problème est-il résolu ?"}}}}
    # a second file keeps what the first gave where it gives nothing (untranslated here)
    po = fill(translator_files.export_po(survey, "fr", NOW), {"questions.channel.text": ""})
    assert translator_files.import_po(survey, po, now=NOW).translated == 5
    assert find_survey("support-csat").current_version.translations["fr"]["questions"]["channel"]["text"] == (
        "Comment nous avez-vous contactés ?")


def test_a_survey_with_responses_gets_a_new_version_as_an_edit_would(ctx):
    survey = make_survey()
    add_answers(survey, [(NOW.date(), None, 4)])
    po = fill(translator_files.export_po(survey, "fr", NOW), FRENCH)
    assert translator_files.import_po(survey, po, now=NOW).version == 2
    versions = find_survey("support-csat").versions
    assert [bool(v.translations) for v in versions] == [False, True]


@pytest.mark.parametrize(("change", "problem"), [
    ({"title": "Bonjour {contact.name}"},
     "title: its placeholders ({contact.name}) must be the source text's (none)"),
    ({"questions.channel.options.1": "T" * 201}, "questions.channel.options.1: the translation is longer than 200"),
])
def test_a_refused_file_names_the_text_and_changes_nothing(ctx, change, problem):
    survey = make_survey()
    good = fill(translator_files.export_po(survey, "fr", NOW), FRENCH)
    translator_files.import_po(survey, good, now=NOW)
    before = find_survey("support-csat").current_version.translations
    with pytest.raises(translator_files.TranslationFileError) as refused:
        translator_files.import_po(survey, fill(good, change), now=NOW)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    db.session.expire_all()
    assert find_survey("support-csat").current_version.translations == before
    assert db.session.scalar(select(func.count()).select_from(SurveyVersion)) == 1


@pytest.mark.parametrize(("content", "problem"), [
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"hello world\n", "not a PO file we can read"),
    (b'msgid ""\nmsgstr "Language: en\\n"\n', "en is the survey's own language"),
    (b'msgid ""\nmsgstr "Project-Id-Version: other 1\\nLanguage: fr\\n"\n', "the file is for the survey 'other'"),
    (b'msgid ""\nmsgstr "Project-Id-Version: support-csat 1\\n"\n', "the file names no language"),
])
def test_a_file_that_is_not_this_surveys_translation_is_refused(ctx, content, problem):
    survey = make_survey()
    with pytest.raises(translator_files.TranslationFileError) as refused:
        translator_files.import_po(survey, content, now=NOW)
    assert problem in " ".join(refused.value.problems)


def test_the_commands_export_and_import(runner, app, tmp_path):
    with app.app_context():
        make_survey()
    path = tmp_path / "fr.po"
    exported = runner.invoke(args=["export-translations", "support-csat", "fr", "--output", str(path)])
    assert exported.exit_code == 0, exported.output
    path.write_bytes(fill(path.read_bytes(), FRENCH))
    imported = runner.invoke(args=["import-translations", "support-csat", str(path)])
    assert imported.exit_code == 0 and "Français (fr): 6 of 20 texts translated" in imported.output
    assert "14 not translated: intro, questions.satisfaction.text" in imported.output
    path.write_bytes(fill(path.read_bytes(), {"title": "{answers.satisfaction}"}))
    refused = runner.invoke(args=["import-translations", "support-csat", str(path)])
    assert refused.exit_code == 1 and "nothing imported" in refused.output
    assert "title: its placeholders" in refused.output
    assert runner.invoke(args=["export-translations", "support-csat", "en"]).exit_code == 1
    assert "Traceback" not in refused.output


def test_the_managers_languages_page(client, app):
    with app.app_context():
        make_survey()
        make_user(role="editor")
    log_in(client, "manager@example.com")
    page = client.get("/manage/surveys/support-csat/languages")
    assert page.status_code == 200 and "No translations yet." in text_of(page)
    download = client.get("/manage/surveys/support-csat/translations.po?language=fr")
    assert download.status_code == 200 and 'filename="support-csat.fr.po"' in download.headers["Content-Disposition"]
    token = csrf_token(client, "/manage/surveys/support-csat/languages")
    bad = client.post("/manage/surveys/support-csat/languages", data={
        "csrf_token": token, "po_file": (io.BytesIO(fill(download.data, {"title": "{contact.x}"})), "fr.po")})
    assert bad.status_code == 422 and "title: its placeholders" in text_of(bad)
    good = client.post("/manage/surveys/support-csat/languages", data={
        "csrf_token": token, "po_file": (io.BytesIO(fill(download.data, FRENCH)), "fr.po")}, follow_redirects=True)
    assert "6 of 20 texts translated" in text_of(good) and "Français <code>fr</code></td><td>6 of 20" in text_of(good)
    assert client.get("/manage/surveys/support-csat/translations.po?language=zz").status_code == 400
