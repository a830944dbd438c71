"""Issue 23's promise for the whole format at once: a definition with sections, display logic, piping, every
new question type and translations (of questions, options, sections and statements) comes back unchanged
through export-survey / import-survey, through the API, and through a second import of its own export."""
import json

from survey.accounts import api_tokens
from survey.clock import utcnow

EVERYTHING = {
    "slug": "everything",
    "title": "How was your visit, {contact.name|there}?",
    "intro": "Two pages, a few minutes.",
    "sections": [
        {"key": "visit", "title": "Your visit"},
        {"key": "problems", "title": "What went wrong", "intro": "You rated us {answers.satisfaction}.",
         "show_if": {"<=": [{"var": "answers.satisfaction"}, 2]}},
    ],
    "questions": [
        {"key": "satisfaction", "type": "rating", "text": "Overall, how satisfied are you?",
         "scale": ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
         "required": True, "section": "visit"},
        {"key": "service", "type": "matrix", "text": "How satisfied were you with…",
         "scale": ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
         "statements": [{"key": "wait", "text": "Wait time"}, {"key": "staff", "text": "Staff"}], "section": "visit"},
        {"key": "channel", "type": "choice", "text": "How did you contact us?", "options": ["Phone", "Email"],
         "other": True, "section": "visit"},
        {"key": "spend", "type": "numeric", "text": "How much did you spend?", "min": 0, "max": 10000,
         "section": "visit"},
        {"key": "visited", "type": "date", "text": "When did you visit?", "min": "2026-01-01", "section": "visit",
         "show_if": {"==": [{"var": "contact.location"}, "Leeds"]}},
        {"key": "priorities", "type": "ranking", "text": "What matters most?", "options": ["Price", "Speed", "Care"],
         "section": "visit"},
        {"key": "effort", "type": "rating", "text": "Acme made it easy for me to handle my issue.", "preset": "ces",
         "scale": ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
                   "Somewhat agree", "Agree", "Strongly agree"],
         "section": "visit", "end_if": {">=": [{"var": "answers.effort"}, 6]}},
        {"key": "what_went_wrong", "type": "text", "text": "You said {answers.channel}: what went wrong?",
         "long": True, "section": "problems"},
    ],
    "translations": {
        "fr": {"title": "Comment s’est passée votre visite, {contact.name|vous} ?",
               "sections": {"visit": {"title": "Votre visite"},
                            "problems": {"title": "Ce qui n’a pas été",
                                         "intro": "Vous nous avez donné {answers.satisfaction}."}},
               "questions": {
                   "satisfaction": {"text": "Dans l’ensemble, êtes-vous satisfait ?"},
                   "service": {"statements": {"wait": "Temps d’attente", "staff": "Personnel"}},
                   "channel": {"text": "Comment nous avez-vous contactés ?", "options": ["Téléphone", "E-mail"]},
               }},
    },
}


def test_the_command_line_round_trips_everything_unchanged(runner, app, tmp_path):
    path = tmp_path / "everything.json"
    path.write_text(json.dumps(EVERYTHING))
    imported = runner.invoke(args=["import-survey", str(path)])
    assert imported.exit_code == 0, imported.output
    exported = json.loads(runner.invoke(args=["export-survey", "everything"]).output)
    assert exported == EVERYTHING
    path.write_text(json.dumps(exported))
    assert runner.invoke(args=["import-survey", str(path)]).exit_code == 0
    assert json.loads(runner.invoke(args=["export-survey", "everything"]).output) == EVERYTHING


def test_the_api_round_trips_everything_unchanged(client, ctx):
    headers = {"Authorization": f"Bearer {api_tokens.create_token('e', 'editor', now=utcnow())[1]}"}
    created = client.post("/api/v1/surveys", json=EVERYTHING, headers=headers)
    assert created.status_code == 201, created.json
    assert client.get("/api/v1/surveys/everything", headers=headers).json["definition"] == EVERYTHING
