"""The weekly staff scorecard: opt in from the survey list, one message per person and week, the
dashboard's numbers with the trend chart as an inline PNG."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from survey import mail
from survey.extensions import db
from survey.models import OutboxMessage, User
from survey.results import scorecard
from tests.factories import add_answers, make_survey, make_user
from tests.pages import log_in, post_form

MONDAY = datetime(2026, 11, 23, 9, 0)  # week 48 begins; the scorecard covers week 47


def weekly_story(survey):
    """40 answers a week; week 47 (16–22 November) has far fewer extremely satisfied customers."""
    rows = []
    for week, top in ((45, 36), (46, 36), (47, 20)):
        monday = date.fromisocalendar(2026, week, 1)
        rows += [(monday + timedelta(days=i % 5), "Leeds", 5 if i < top else 3) for i in range(40)]
    add_answers(survey, rows)


def test_the_week_is_due_from_monday_morning():
    assert scorecard.week_due(MONDAY, "UTC") == "2026-W47"
    assert scorecard.week_due(datetime(2026, 11, 23, 7, 59), "UTC") is None
    assert scorecard.week_due(datetime(2026, 11, 23, 7, 30), "Europe/Berlin") == "2026-W47"  # 08:30 there
    assert scorecard.week_due(datetime(2026, 11, 29, 22, 0), "UTC") == "2026-W47"


def test_opted_in_staff_get_it_once_with_the_numbers_and_chart(ctx, client):
    survey = make_survey()
    weekly_story(survey)
    make_user(email="agent@example.com", role="agent")
    make_user(email="quiet@example.com", role="analyst")
    log_in(client, "agent@example.com")
    assert "Email me the weekly scorecard" in client.get("/account/").get_data(as_text=True)
    assert post_form(client, "/account/scorecard", {"notify": "1"}, page="/account/").status_code == 302
    assert "Stop emailing me the scorecard" in client.get("/account/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User.notify_scorecard).where(User.email == "agent@example.com")) is True

    assert scorecard.send_scorecards(now=MONDAY) == 1
    assert scorecard.send_scorecards(now=MONDAY + timedelta(hours=1)) == 0  # once per person and week
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "scorecard"))
    assert row.recipient == "agent@example.com" and "2026-W47" in row.subject
    assert "Extremely satisfied: 50 %" in row.text_body and "−40.0 points" in row.text_body
    assert "significant drop" in row.text_body
    message = mail.build_email(row, "Hearken <feedback@example.test>")
    html_part, = [part for part in message.walk() if part.get_content_type() == "text/html"]
    picture, = [part for part in message.walk() if part.get_content_type() == "image/png"]
    cid = picture["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html_part.get_payload(decode=True).decode()
    assert picture.get_payload(decode=True).startswith(b"\x89PNG")


def test_nobody_opted_in_means_no_work(ctx):
    make_survey()
    assert scorecard.send_scorecards(now=MONDAY) == 0
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_the_message_id_ends_with_the_senders_domain_and_one_queued_under_the_old_one_still_counts(ctx):
    """The Message-ID (which makes the scorecard once per person and week) ends with the From address's
    domain; a scorecard queued before that, under the public address's host, is not sent a second time."""
    make_survey()
    db.session.get(User, make_user(email="agent@example.com", role="agent").id).notify_scorecard = True
    db.session.get(User, make_user(email="other@example.com", role="agent").id).notify_scorecard = True
    db.session.commit()
    ctx.config["MAIL_FROM"] = "Acme <feedback@acme.example>"
    other = db.session.scalar(select(User).where(User.email == "other@example.com"))
    mail.queue(mail.Rendered("Scorecard", "Sent before the upgrade", None, {}), kind="scorecard",
               recipient=other.email, now=MONDAY, message_id=f"<scorecard-2026-W47-{other.id}@feedback.example.test>")
    db.session.commit()
    assert scorecard.send_scorecards(now=MONDAY) == 1
    new = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "agent@example.com"))
    assert new.message_id.endswith("@acme.example>")
