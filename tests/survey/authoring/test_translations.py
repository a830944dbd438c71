"""A definition's translations: checked with messages naming the language and the key, carried unchanged by
export-survey/import-survey and the API, shown per text with a fallback, and a response keeps its language."""
from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from survey.authoring.definitions import DefinitionError, parse_survey, survey_definition
from survey.authoring.editing import find_survey
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Response
from tests.factories import make_definition, make_survey
from tests.pages import post_form

FRENCH = {"title": "Comment avons-nous fait ?",
          "questions": {"satisfaction": {"text": "Dans l’ensemble, êtes-vous satisfait de notre service ?",
                                         "options": ["Très insatisfait", "Insatisfait", "Ni l’un ni l’autre",
                                                     "Satisfait", "Très satisfait"]},
                        "channel": {"text": "Comment nous avez-vous contactés ?",
                                    "options": ["Téléphone", "E-mail", "En magasin"]}}}


def translated_definition(**languages) -> dict:
    return make_definition(translations=copy.deepcopy(languages or {"fr": FRENCH}))


def problems_of(definition) -> list[str]:
    with pytest.raises(DefinitionError) as refused:
        parse_survey(definition)
    return refused.value.problems


def test_a_translation_is_kept_as_given():
    spec = parse_survey(translated_definition())
    assert spec.language == "en" and spec.translations == {"fr": FRENCH}


@pytest.mark.parametrize(("translation", "problem"), [
    ({"questions": {"nope": {"text": "Non"}}}, "translations.fr.questions.nope: no question has the key 'nope'"),
    ({"questions": {"channel": {"options": ["Téléphone", "E-mail"]}}},
     "translations.fr.questions.channel.options: needs 3 labels, one per option in the same order, got 2"),
    ({"questions": {"recommend": {"options": ["a", "b"]}}},
     "translations.fr.questions.recommend.options: a nps question has no options to translate"),
    ({"subtitle": "Bonjour"}, "translations.fr.subtitle: unknown field"),
    ({"questions": {"channel": {"hint": "x"}}}, "translations.fr.questions.channel.hint: unknown field"),
    ({"title": 3}, "translations.fr.title: must be text"),
])
def test_each_bad_translation_is_named_by_language_and_key(translation, problem):
    assert problem in problems_of(translated_definition(fr=translation))


def test_placeholders_must_match_the_source_text():
    definition = make_definition(translations={"fr": {"title": "Bonjour {contact.name|client}"}})
    definition["title"] = "Hello {contact.first_name|there}"
    [problem] = problems_of(definition)
    assert problem.startswith("translations.fr.title: its placeholders ({contact.name}) must be the source "
                              "text's ({contact.first_name})")
    definition["translations"]["fr"]["title"] = "Bonjour {contact.first_name|vous}"  # a fallback is a word
    assert parse_survey(definition).translations["fr"]["title"] == "Bonjour {contact.first_name|vous}"


def test_the_default_language_and_unknown_languages_are_refused():
    assert problems_of(translated_definition(en={"title": "Hi"})) == [
        "translations.en: is the survey's own language; its texts are the definition's"]
    problems = problems_of(translated_definition(French={"title": "Bonjour"}))
    assert problems == ["translations.French: must be a language tag such as en, fr or pt-BR, got 'French'"]
    assert problems_of(make_definition(language="xx")) == [
        "language: must be a language tag such as en, fr or pt-BR, got 'xx'"]


def test_a_french_survey_may_be_translated_into_english():
    spec = parse_survey(make_definition(language="fr", translations={"en": {"title": "In English"}}))
    assert spec.language == "fr" and spec.translations == {"en": {"title": "In English"}}


def test_export_and_import_survey_carry_translations_unchanged(runner, app, tmp_path):
    definition = translated_definition(es={"intro": "Dos minutos."})
    definition["language"] = "en"
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["import-survey", str(path)]).exit_code == 0
    exported = runner.invoke(args=["export-survey", "support-csat"])
    del definition["language"]  # the default is not written, as follow_up's is not
    assert json.loads(exported.output) == definition
    path.write_text(exported.output, encoding="utf-8")
    assert runner.invoke(args=["import-survey", str(path)]).exit_code == 0
    assert json.loads(runner.invoke(args=["export-survey", "support-csat"]).output) == definition


def test_the_api_reads_and_writes_translations_unchanged(client, ctx):
    from survey.accounts import api_tokens
    editor = {"Authorization": f"Bearer {api_tokens.create_token('e', 'editor', now=utcnow())[1]}"}
    definition = make_definition(language="fr", translations={"en": {"title": "How did we do?"}},
                                 title="Comment avons-nous fait ?")
    created = client.post("/api/v1/surveys", json=definition, headers=editor)
    assert created.status_code == 201, created.json
    read = client.get("/api/v1/surveys/support-csat", headers=editor)
    assert read.status_code == 200 and read.json["definition"] == definition
    bad = client.post("/api/v1/surveys/support-csat/versions", headers=editor,
                      json={**definition, "translations": {"en": {"questions": {"nope": {"text": "x"}}}}})
    assert bad.status_code == 422 and "translations.en.questions.nope" in json.dumps(bad.json)


def test_the_respond_page_falls_back_per_text_and_stores_the_language(client, app):
    with app.app_context():
        make_survey(definition=translated_definition())
    page = client.get("/s/support-csat?lang=fr").get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert "Comment avons-nous fait ?" in page and "Téléphone" in page  # translated
    assert "What was it about?" in page and "Billing" in page  # not translated: the default language's
    assert "Two minutes, six questions." in page
    sent = post_form(client, "/s/support-csat?lang=fr",
                     {"q-satisfaction": "4", "q-channel": "Phone", "q-topics": ["Billing"]})
    assert sent.status_code == 303
    client.get("/s/support-csat?lang=en")
    post_form(client, "/s/support-csat", {"q-satisfaction": "5", "q-channel": "Phone"})
    with app.app_context():
        responses = db.session.scalars(select(Response).order_by(Response.id)).all()
        assert [r.language for r in responses] == ["fr", "en"]
        # the answer is stored as the default language's option, whatever was shown
        assert {a.value_text for a in responses[0].answers if a.question_key == "channel"} == {"Phone"}


def test_an_edited_version_keeps_its_translations(app):
    with app.app_context():
        survey = make_survey(definition=translated_definition())
        assert survey_definition(survey.slug, find_survey("support-csat").current_version)["translations"] == {
            "fr": FRENCH}


def test_the_documented_example_is_a_valid_definition():
    from pathlib import Path
    formats = (Path(__file__).resolve().parents[3] / "docs" / "formats.md").read_text(encoding="utf-8")
    example = formats[formats.index("## Languages"):].split("```json")[1].split("```")[0]
    spec = parse_survey(json.loads(example))
    assert spec.translations["fr"]["questions"]["channel"]["options"] == ["En ligne", "Par téléphone"]


def test_answers_in_two_languages_count_together_and_the_browser_shows_each_language(client, app):
    from survey.results.counts import answer_counts
    from tests.factories import make_user
    from tests.pages import log_in
    with app.app_context():
        survey_id = make_survey(definition=translated_definition()).id
        make_user(role="analyst")
    for language, channel in (("fr", "Phone"), ("en", "Phone"), ("fr", "Email")):
        client.get(f"/s/support-csat?lang={language}")
        assert post_form(client, "/s/support-csat", {"q-satisfaction": "5", "q-channel": channel}).status_code == 303
    with app.app_context():
        day = db.session.scalar(select(Response.local_date))
        counts = answer_counts(survey_id, ["satisfaction", "channel"],
                               days=[(day, day.fromordinal(day.toordinal() + 1))])
        by_question = {cell.question: dict(counter) for cell, counter in counts.items()}
        assert by_question["satisfaction"] == {5: 3}  # one question, whatever language it was read in
        assert by_question["channel"] == {1: 2, 2: 1}
    log_in(client, "manager@example.com")
    page = client.get("/manage/surveys/support-csat/responses?from=2020-01-01&to=2035-12-31").get_data(as_text=True)
    assert page.count("French (fr)") == 2 and page.count("English (en)") == 1
    with app.app_context():
        response_id = db.session.scalar(select(Response.id).where(Response.language == "fr"))
    assert "French (fr)" in client.get(f"/manage/responses/{response_id}").get_data(as_text=True)


def test_a_one_language_survey_shows_no_language_column(client, app):
    from tests.factories import make_user
    from tests.pages import log_in
    with app.app_context():
        make_survey()
        make_user(role="analyst")
    post_form(client, "/s/support-csat", {"q-satisfaction": "5"})
    log_in(client, "manager@example.com")
    page = client.get("/manage/surveys/support-csat/responses?from=2020-01-01&to=2035-12-31")
    assert "#1" in page.get_data(as_text=True) and "English (en)" not in page.get_data(as_text=True)
