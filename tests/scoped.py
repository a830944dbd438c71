"""Leeds and York: data on both sides of a data scope, for the tests that prove a Leeds-scoped person or token
sees Leeds and nothing of York.

Everything of York carries the marker "Q7Y" (its location "York Q7Y", its contact's name and address, its
comments), so a page or a file shows something of York exactly when the marker is in it; York also has more
responses than Leeds, so every count differs by scope. Built once per test through the product's functions.
"""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from survey import followups
from survey.accounts import scopes
from survey.extensions import db
from survey.models import Alert, FollowUpCase, Response
from survey.outreach import contacts
from tests.factories import NOW, add_answers, make_invitation, make_survey, make_user
from tests.pages import post_form

MARKER = "Q7Y"
LEEDS, YORK = "Leeds", f"York {MARKER}"
LEEDS_SCOPE = {"location": [LEEDS]}
# Responses of October 2026 given in bulk (the month the results and trends compare), besides one each
# given by a contact through a personal link with a comment.
BULK = {LEEDS: 3, YORK: 8}


def _alert(survey_id: int, name: str, segment: dict, value_after: float) -> Alert:
    return Alert(fingerprint=name, series_key=name, survey_id=survey_id, question_key="satisfaction",
                 metric="top_box", kind="change", segment=segment, period_before="2026-09", period_after="2026-10",
                 n_before=120, n_after=118, value_before=0.9, value_after=value_after, difference=value_after - 0.9,
                 ci_low=-0.25, ci_high=-0.05, p_value=0.002, q_value=0.01, method="score", direction="drop",
                 created_at=NOW)


def store_leeds_and_york(app, client=None) -> dict:
    """The data, a Leeds-scoped user of each role ("<role>-leeds@example.com") and an unscoped admin
    ("admin@example.com"); returns the ids of each side's records: {"leeds": {...}, "york": {...}, ...}."""
    client = client or app.test_client()
    with app.app_context():
        survey = make_survey()
        admin = make_user(email="admin@example.com", role="admin")
        for role in ("agent", "analyst", "editor", "admin"):
            user = make_user(email=f"{role}-leeds@example.com", role=role)
            scopes.set_user_scope(user, LEEDS_SCOPE, attributes=("location", "team", "touchpoint"), actor="cli",
                                  actor_id=None, now=NOW)
        rows = ("email,name,location,team\n"
                f"leeds@example.com,Lena Leeds,{LEEDS},Billing\n"
                f"{MARKER.lower()}@example.com,Yvonne {MARKER},{YORK},Billing\n")
        assert contacts.import_contacts(io.BytesIO(rows.encode()), now=NOW).ok
        tokens = {place: make_invitation(survey, email=email).token
                  for place, email in ((LEEDS, "leeds@example.com"), (YORK, f"{MARKER.lower()}@example.com"))}
        day = date(2026, 10, 15)
        add_answers(survey, [(day + timedelta(days=i % 5), place, 1 + i % 5)
                             for place, n in BULK.items() for i in range(n)])
        survey_id, slug, admin_id = survey.id, survey.slug, admin.id
    for place, token in tokens.items():  # a low rating opens a follow-up case
        comment = "Leeds tea was cold" if place == LEEDS else f"{MARKER} the York queue was long"
        response = post_form(client, f"/r/{token}", {"q-satisfaction": "1", "q-comment": comment,
                                                     "consent_contact": "y"})
        assert response.status_code == 303, response.status_code
    with app.app_context():
        ids: dict[str, dict[str, int]] = {LEEDS: {}, YORK: {}}
        for place in (LEEDS, YORK):
            response = db.session.scalar(select(Response).where(Response.contact_id.is_not(None),
                                                                Response.attributes["location"].as_string() == place))
            case = db.session.scalar(select(FollowUpCase).where(FollowUpCase.response_id == response.id))
            ids[place] = {"response": response.id, "contact": response.contact_id, "case": case.id}
        complaint = followups.ComplaintInput("complaint", f"{MARKER} anonymous complaint")
        complaint_case = followups.record_complaint(complaint, sender="192.0.2.1", now=NOW)
        alerts = {"leeds": _alert(survey_id, "leeds", {"location": LEEDS}, 0.61),
                  "york": _alert(survey_id, "york", {"location": YORK}, 0.47),
                  "everyone": _alert(survey_id, "everyone", {}, 0.53),
                  "team": _alert(survey_id, "team", {"team": "Billing"}, 0.58)}
        db.session.add_all(alerts.values())
        db.session.commit()
        ids[LEEDS]["alert"] = alerts["leeds"].id
        ids[YORK]["alert"] = alerts["york"].id
        hidden = {"case": [ids[YORK]["case"], complaint_case.id],
                  "alert": [alerts["york"].id, alerts["everyone"].id, alerts["team"].id]}
        return {"slug": slug, "survey_id": survey_id, "admin_id": admin_id, "leeds": ids[LEEDS], "york": ids[YORK],
                "hidden": hidden}
