"""Hostile payloads stored in every place a page shows data from, for the browser tests.

Everything goes in through the product's own functions (or its forms), so what is stored is what a
hostile customer, contact list or colleague could store. Returns the addresses of every page that shows
some of it.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from itertools import cycle

from sqlalchemy import select

from survey import followups
from survey.accounts import api_tokens, people
from survey.changes import changelog as changes
from survey.extensions import db
from survey.followups import teams
from survey.models import (
    Alert,
    ChatChannel,
    Contact,
    FollowUpCase,
    Job,
    OutboxMessage,
    Response,
    Theme,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from survey.outreach import contacts
from survey.results import browsing
from survey.tokens import new_token
from tests.factories import NOW, make_invitation, make_survey, make_user
from tests.pages import post_form
from tests.security.payloads import EXECUTABLE, storable

TEXTS = [storable(p) for p in EXECUTABLE]


def short(text: str, limit: int) -> str:
    return text[:limit]


def hostile_definition() -> dict:
    """A survey whose title, intro, questions, reasons and options are all payloads."""
    texts = cycle(TEXTS)
    questions = [{"key": "satisfaction", "type": "rating", "text": next(texts), "why": short(next(texts), 480),
                  "required": True, "scale": [short(next(texts), 190) + f" {i}" for i in range(5)]}]
    for number in range(len(TEXTS) // 4):
        kind = "choice" if number % 2 else "multi"
        # A multiple-choice option may not hold ";" (it separates ticked options in CSV files): the payload
        # keeps everything else.
        option = short if kind == "choice" else (lambda text, limit: short(text, limit).replace(";", ","))
        questions.append({"key": f"q{number}", "type": kind, "text": next(texts), "why": short(next(texts), 480),
                          "options": [option(next(texts), 190) + " a", option(next(texts), 190) + " b"]})
    questions.append({"key": "comment", "type": "text", "text": next(texts), "long": True})
    return {"slug": "hostile", "title": short(TEXTS[0], 190), "intro": short(TEXTS[1], 1900), "questions": questions}


def hostile_types_definition() -> dict:
    """Issue 23's stored texts as payloads: sections' titles and introductions, a matrix's statements,
    ranking options, a question shown only for a contact attribute (the page script's JSON carries the
    attribute), and a French translation of every text. (The "Other" choice's label is Hearken's own; what a
    customer writes beside it is stored by `store_everywhere`.)"""
    texts = cycle(TEXTS[len(TEXTS) // 2:] + TEXTS[:len(TEXTS) // 2])
    statements = [{"key": f"s{i}", "text": short(next(texts), 490)} for i in range(3)]
    definition = {
        "slug": "hostile-types", "title": short(next(texts), 190), "intro": short(next(texts), 1900),
        "sections": [{"key": "first", "title": short(next(texts), 190), "intro": short(next(texts), 1900)},
                     {"key": "second", "title": short(next(texts), 190), "intro": short(next(texts), 1900),
                      "show_if": {">=": [{"var": "answers.matrix.s0"}, 1]}}],
        "questions": [
            {"key": "matrix", "type": "matrix", "section": "first", "text": next(texts),
             "why": short(next(texts), 480), "scale": [short(next(texts), 190) + f" {i}" for i in range(3)],
             "statements": statements},
            {"key": "channel", "type": "choice", "section": "first", "text": next(texts), "other": True,
             "options": [short(next(texts), 190) + " a", short(next(texts), 190) + " b"]},
            {"key": "minutes", "type": "numeric", "section": "first", "text": next(texts), "min": 0},
            {"key": "where", "type": "text", "section": "first", "text": next(texts),
             "show_if": {"!=": [{"var": "contact.location"}, short(next(texts), 190)]}},
            {"key": "ranking", "type": "ranking", "section": "second", "text": next(texts),
             "options": [short(next(texts), 190).replace(";", ",") + f" {i}" for i in range(3)]},
            {"key": "visit", "type": "date", "section": "second", "text": next(texts)},
        ],
    }
    french = {"title": short(next(texts), 190), "intro": short(next(texts), 1900),
              "sections": {"first": {"title": short(next(texts), 190), "intro": short(next(texts), 1900)},
                           "second": {"title": short(next(texts), 190)}},
              "questions": {"matrix": {"text": next(texts), "why": short(next(texts), 480),
                                       "statements": {s["key"]: short(next(texts), 490) for s in statements}},
                            "channel": {"text": next(texts)}}}
    # A translation keeps its original's placeholders: none of the payloads is one.
    definition["translations"] = {"fr": french}
    return definition


def store_everywhere(app) -> dict:
    """Store the payloads; returns {"slug", "token", "unsubscribe", "ids": {...}}."""
    with app.app_context():
        survey = make_survey(definition=hostile_definition())
        typed_slug = make_survey(definition=hostile_types_definition()).slug
        admin_id = make_user(email="admin@example.com", role="admin").id
        data = io.StringIO()
        writer = csv.writer(data)
        writer.writerow(["email", "name", "location", "team"])
        for number, text in enumerate(TEXTS):
            writer.writerow([f"c{number}@example.com", short(text, 190), short(text, 190), short(text[::-1], 190)])
        assert contacts.import_contacts(io.BytesIO(data.getvalue().encode()), now=NOW).ok
        invitations = [make_invitation(survey, email=f"c{number}@example.com") for number in range(len(TEXTS))]
        tokens = [invitation.token for invitation in invitations]
        contact_ids = [invitation.contact_id for invitation in invitations]
        first = db.session.get(Contact, invitations[0].contact_id)
        first.unsubscribe_token = new_token()
        db.session.commit()
        unsubscribe = first.unsubscribe_token
        questions = survey.current_version.questions

    customer = app.test_client()
    for number, (text, token) in enumerate(zip(TEXTS, tokens, strict=True)):
        answers = {"q-satisfaction": "1", "q-comment": text, "consent_quote": "y", "consent_contact": "y"}
        for question in questions:
            if question.type in ("choice", "multi"):
                answers[f"q-{question.key}"] = question.options[number % 2]
        response = post_form(customer, f"/r/{token}", answers)
        assert response.status_code == 303, response.status_code
    # Issue 23's answers: an "Other" written by a customer, a ranking, a matrix, in French.
    for number, text in enumerate(TEXTS[:4]):
        typed_answers = {"q-matrix.s0": "1", "q-matrix.s1": "3", "q-channel": "Other", "q-channel.other": text[:490],
                         "q-minutes": "12", "q-where": text, "q-visit": "2026-10-01", "lang": "fr",
                         **{f"q-ranking.{n}": str((n + number) % 3 + 1) for n in range(1, 4)}}
        response = post_form(customer, f"/s/{typed_slug}?lang=fr", typed_answers)
        assert response.status_code == 303, response.status_code

    with app.app_context():
        admin = db.session.get(User, admin_id)
        responses = db.session.scalars(select(Response).where(Response.survey_id == survey.id)
                                       .order_by(Response.id)).all()
        for response, text in zip(responses, TEXTS, strict=True):
            browsing.tag_response(response, short(text, 60).replace(";", ","), actor=admin, now=NOW)  # no ";" in themes
        for number, text in enumerate(TEXTS[:6]):  # themes: proposals quoting the hostile comments, and accepted
            db.session.add(Theme(survey_id=survey.id, name=short(text, 60), status=("proposed", "accepted")[number % 2],
                                 terms=[short(text, 40)], top_terms=[short(text, 40), short(text[::-1], 40)],
                                 comments=3, examples=[r.id for r in responses[number:number + 3]], created_at=NOW))
        db.session.commit()
        cases = db.session.scalars(select(FollowUpCase).order_by(FollowUpCase.id)).all()
        for case, text in zip(cases, TEXTS, strict=False):
            followups.add_note(case, author=admin, text=text, now=NOW)
        for number, text in enumerate(TEXTS[:20]):
            followups.record_complaint(followups.ComplaintInput("complaint", text, short(text, 190), "", ""),
                                       sender=f"192.0.2.{number}", now=NOW)
        entries = []
        for number, text in enumerate(TEXTS[:12]):
            entry = changes.save_change(None, changes.ChangeInput(
                title=short(text, 190), you_said=text, we_did=text + "\n\n" + TEXTS[-1 - number],
                category=short(text, 70), status="done", changed_on=date(2026, 10, 1) - timedelta(days=number)),
                actor_id=admin.id, now=NOW)
            changes.set_links(entry, response_ids=[responses[number].id], alert_ids=[], now=NOW)
            changes.add_quote(entry, responses[number].id, short(text, 500), now=NOW)
            changes.publish(entry, now=NOW)
            entries.append(entry.id)
        for number, text in enumerate(TEXTS[:10]):
            db.session.add(Alert(
                fingerprint=f"hostile-{number}", series_key=f"hostile-{number}", survey_id=survey.id,
                question_key="satisfaction", metric="top_box", kind="gap", segment={"location": short(text, 190)},
                period_before="2026-09", period_after="2026-10", n_before=120, n_after=118, value_before=0.9,
                value_after=0.75, difference=-0.15, ci_low=-0.25, ci_high=-0.05, p_value=0.002, q_value=0.01,
                method="score", direction="drop", created_at=NOW))
        for number, text in enumerate(TEXTS[:10]):
            db.session.add(OutboxMessage(
                message_id=f"<hostile-{number}@example.test>", kind="invitation", recipient=f"c{number}@example.com",
                subject=short(text, 290), text_body=text, html_body=None, headers={}, status="failed", attempts=3,
                not_before=NOW, last_error=text, created_at=NOW))
        endpoint = WebhookEndpoint(url="https://hooks.example.com/hearken", description=short(TEXTS[2], 190),
                                   events=["response.completed"], secret="s" * 40, created_at=NOW)
        db.session.add(endpoint)
        db.session.flush()
        for number, text in enumerate(TEXTS[:10]):
            db.session.add(WebhookDelivery(
                endpoint_id=endpoint.id, delivery_id=f"hostile-{number}", event="response.completed", body=text,
                status="failed", attempts=5, not_before=NOW, last_status=500, last_error=text,
                response_excerpt=short(text, 490), created_at=NOW))
        problems = [{"row": number + 2, "column": short(text, 60), "message": text}
                    for number, text in enumerate(TEXTS)]
        refused = Job(kind="response_import", state="refused", actor=f"user:{admin_id}", owner_id=admin_id,
                      survey_id=survey.id, params={}, input_name=short(TEXTS[7], 120), phase="checking", done=10,
                      total=10, attempts=1, created_at=NOW, finished_at=NOW,
                      outcome={"summary": short(TEXTS[8], 200), "total": len(problems) + 3, "problems": problems})
        running = Job(kind="response_import", state="running", actor="cli", survey_id=survey.id, params={},
                      input_name=short(TEXTS[9], 120), phase="writing", done=5, total=10, attempts=1, created_at=NOW,
                      claimed_until=NOW)
        db.session.add_all([refused, running])
        db.session.commit()
        for number, text in enumerate(TEXTS[:5]):
            api_tokens.create_token(short(text, 90) + str(number), "agent", now=NOW)
        # A team, a root-cause code and a chat channel named by payloads (the team's rule values too).
        team = teams.save_team(None, teams.TeamInput(
            name=" ".join(short(TEXTS[1], 90).split()) or "t", lead_id=admin_id, rule_attribute="location",
            rule_values=short(TEXTS[2], 190).replace(",", " ") or "v"), now=NOW)
        for number, text in enumerate(TEXTS[:3]):
            teams.add_root_cause(" ".join(short(text, 50).split()) + str(number), short(text, 190))
        db.session.add(ChatChannel(team_id=team.id, kind="slack", url="https://hooks.slack.com/services/T/B/x",
                                   events=["overdue"], created_at=NOW))
        # People named by payloads: the admin (their Account page; the inviter in invitations), another
        # person (their page and its confirmation), and someone invited.
        admin = db.session.get(User, admin_id)
        admin.name = short(TEXTS[4], 190)
        person = make_user(email="named@example.com", role="agent")
        person.name = short(TEXTS[3], 190)
        db.session.commit()
        people.invite("invited@example.com", "agent", actor=admin, now=NOW)
        return {"slug": survey.slug, "token": tokens[0], "unsubscribe": unsubscribe,
                "ids": {"response": responses[0].id, "case": cases[0].id, "contact": contact_ids[0],
                        "change": entries[0], "alert": db.session.scalar(select(Alert.id)), "endpoint": endpoint.id,
                        "question": "q0", "job": refused.id, "running_job": running.id,
                        "team": team.id, "person": person.id}, "typed": typed_slug}


def pages(stored: dict) -> tuple[list[str], list[str]]:
    """(public pages, manager pages) that show what was stored."""
    slug, token, ids = stored["slug"], stored["token"], stored["ids"]
    public = ["/changes", f"/changes?category={TEXTS[0][:70]}", f"/s/{slug}", f"/r/{token}", f"/r/{token}?rating=1",
              f"/r/{token}/thanks", f"/s/{slug}/thanks", f"/unsubscribe/{stored['unsubscribe']}", "/changes.atom"]
    manager = ["/manage/", f"/manage/surveys/{slug}", f"/manage/surveys/{slug}/questions/{ids['question']}",
               f"/manage/surveys/{slug}/preview", f"/manage/surveys/{slug}/languages",
               f"/manage/surveys/{slug}/results?from=2020-01-01&to=2035-12-31",
               f"/manage/surveys/{slug}/results?from=2020-01-01&to=2035-12-31&q={TEXTS[3][:60]}",
               f"/manage/surveys/{slug}/responses?from=2020-01-01&to=2035-12-31",
               f"/manage/surveys/{slug}/responses?q={TEXTS[4][:60]}&tag={TEXTS[5][:60]}",
               f"/manage/responses/{ids['response']}", f"/manage/surveys/{slug}/themes", "/manage/cases/",
               "/manage/cases/?status=all",
               f"/manage/cases/{ids['case']}", "/manage/contacts/", f"/manage/contacts/?q={TEXTS[6][:60]}",
               f"/manage/contacts/{ids['contact']}", "/manage/changes/", f"/manage/changes/{ids['change']}",
               "/manage/alerts/?show=all", f"/manage/alerts/{ids['alert']}", f"/manage/alerts/{ids['alert']}/evidence",
               f"/manage/surveys/{slug}/trends",
               "/manage/outbox", f"/manage/surveys/{slug}/sending", f"/manage/surveys/{slug}/email-preview",
               f"/manage/surveys/{slug}/email-preview.html", "/manage/webhooks/",
               f"/manage/webhooks/{ids['endpoint']}", "/manage/api-tokens/", "/manage/jobs",
               f"/manage/jobs/{ids['job']}", f"/manage/jobs/{ids['running_job']}", "/manage/branding/",
               "/manage/branding/email-preview.html", "/manage/teams/", f"/manage/teams/{ids['team']}",
               f"/manage/cases/?status=all&team={ids['team']}", "/manage/notifications/", "/manage/audit/",
               f"/manage/audit/?actor={TEXTS[7][:60]}&action={TEXTS[8][:30]}",
               "/manage/people/", f"/manage/people/{ids['person']}", f"/manage/people/{ids['person']}/scope",
               "/account/", f"/manage/surveys/{slug}/drivers?from=2020-01-01&to=2035-12-31",
               # Confirmation pages, which repeat what they act on.
               f"/manage/surveys/{slug}/close", f"/manage/surveys/{slug}/questions/{ids['question']}/delete",
               f"/manage/changes/{ids['change']}/delete", f"/manage/webhooks/{ids['endpoint']}/delete",
               f"/manage/people/{ids['person']}/deactivate"]
    typed = stored["typed"]
    public += [f"/s/{typed}", f"/s/{typed}?lang=fr"]
    manager += [f"/manage/surveys/{typed}", f"/manage/surveys/{typed}/questions/matrix",
                f"/manage/surveys/{typed}/questions/where", f"/manage/surveys/{typed}/sections/first",
                f"/manage/surveys/{typed}/sections/second", f"/manage/surveys/{typed}/sections/second/delete",
                f"/manage/surveys/{typed}/preview", f"/manage/surveys/{typed}/languages",
                f"/manage/surveys/{typed}/results?from=2020-01-01&to=2035-12-31",
                f"/manage/surveys/{typed}/responses?from=2020-01-01&to=2035-12-31"]
    return public, manager
