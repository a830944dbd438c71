"""The themes page: proposals with their example comments (escaped), accepting, merging, rejecting and
renaming, each refused with the problem named when the input is wrong; proposing starts a job."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from survey.extensions import db
from survey.models import Job, Theme
from tests.factories import NOW, add_comments, make_survey, make_user
from tests.pages import log_in, post_form, text_of

WAITING = ["I waited forty minutes in the queue", "The queue was long and the wait endless",
           "Long wait on hold before anyone answered", "Temps d'attente trop long au téléphone",
           "L'attente au téléphone était interminable"]


def test_the_themes_page_accepts_renames_merges_and_rejects(ctx, client):
    survey = make_survey()
    make_user(email="analyst@example.com", role="analyst")
    ids = add_comments(survey, [(date(2026, 10, 1), None, text) for text in WAITING])
    one = Theme(survey_id=survey.id, name="queue", status="proposed", terms=["queue", "wait"],
                top_terms=["queue", "wait", "hold"], comments=4, examples=ids[:3], created_at=NOW)
    two = Theme(survey_id=survey.id, name="attente", status="proposed", terms=["attente"], top_terms=["attente"],
                comments=2, examples=ids[3:5], created_at=NOW)
    three = Theme(survey_id=survey.id, name="<b>noise</b>", status="proposed", terms=["noise"],
                  top_terms=["noise"], comments=2, examples=[], created_at=NOW)
    db.session.add_all([one, two, three])
    db.session.commit()
    log_in(client, "analyst@example.com")
    page = f"/manage/surveys/{survey.slug}/themes"
    html = client.get(page).get_data(as_text=True)
    assert "I waited forty minutes in the queue" in html and "&lt;b&gt;noise&lt;/b&gt;" in html

    refused = post_form(client, f"/manage/themes/{one.id}/accept", {f"theme{one.id}-name": "a;b",
                                                                    f"theme{one.id}-terms": "queue"}, page=page)
    assert refused.status_code == 400 and "separates themes" in text_of(refused)
    assert db.session.get(Theme, one.id).status == "proposed"
    done = post_form(client, f"/manage/themes/{one.id}/accept", {f"theme{one.id}-name": "Waiting time",
                                                                 f"theme{one.id}-terms": "queue, wait*"}, page=page)
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Theme, one.id).status == "accepted"
    assert db.session.scalar(select(Job.kind).where(Job.kind == "theme_tagging")) == "theme_tagging"
    merged = post_form(client, f"/manage/themes/{two.id}/merge", {f"theme{two.id}-into": str(one.id)}, page=page)
    assert merged.status_code == 302
    db.session.expire_all()
    assert db.session.get(Theme, two.id).status == "merged"
    assert db.session.get(Theme, one.id).terms == ["queue", "wait*", "attente"]
    assert post_form(client, f"/manage/themes/{three.id}/reject", page=page).status_code == 302
    renamed = post_form(client, f"/manage/themes/{one.id}/edit", {f"theme{one.id}-name": "Queues",
                                                                  f"theme{one.id}-terms": ""}, page=page)
    assert renamed.status_code == 400 and "required" in text_of(renamed).lower()
    assert db.session.get(Theme, one.id).name == "waiting time"
    html = client.get(page).get_data(as_text=True)
    assert "No proposals waiting." in html and "Not proposed again: <span dir=\"auto\">&lt;b&gt;noise" in html
    proposed = post_form(client, f"/manage/surveys/{survey.slug}/themes/propose", page=page)
    assert proposed.status_code == 302 and "/manage/jobs/" in proposed.headers["Location"]
