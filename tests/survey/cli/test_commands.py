"""The command line (README, docs/user-guide.md): exit 0 on success, 1 on rejected input (saying what and where)."""
import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import case, func, select

from survey.authoring.definitions import parse_survey, survey_definition
from survey.authoring.editing import find_survey
from survey.cli import demo
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Answer, Response, Survey, Team, User
from survey.results import browsing
from tests.conftest import BASE_URL
from tests.factories import make_definition, make_survey, make_user
from tests.pages import post_form


def test_create_user_hashes_the_password_with_scrypt(runner, app, monkeypatch):
    monkeypatch.setenv("HEARKEN_PASSWORD", "a long enough password")
    result = runner.invoke(args=["create-user", "Boss@Example.com", "--role", "admin"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "boss@example.com" and user.role == "admin"
        assert user.password_hash.startswith("scrypt:") and "a long enough" not in user.password_hash
    again = runner.invoke(args=["create-user", "boss@example.com", "--role", "admin"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert runner.invoke(args=["create-user", "x@example.com", "--role", "owner"]).exit_code == 2
    monkeypatch.setenv("HEARKEN_PASSWORD", "short")
    assert "at least 10 characters" in runner.invoke(args=["create-user", "y@example.com", "--role", "agent"]).output


def test_import_survey_creates_then_publishes_new_versions_and_export_round_trips(runner, app, tmp_path):
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(make_definition()))
    first = runner.invoke(args=["import-survey", str(path)])
    assert first.exit_code == 0 and "created support-csat (published)" in first.output
    second = runner.invoke(args=["import-survey", str(path)])
    assert second.exit_code == 0 and "published version 2 of support-csat" in second.output
    exported = runner.invoke(args=["export-survey", "support-csat"])
    assert json.loads(exported.output) == make_definition()


def test_import_survey_names_every_problem_and_changes_nothing(runner, app, tmp_path):
    definition = make_definition()
    definition["questions"][0]["scale"] = ["Only"]
    definition["questions"][3]["type"] = "dropdown"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(definition))
    result = runner.invoke(args=["import-survey", str(path)])
    assert result.exit_code == 1
    assert "questions[0].scale: needs 2 to 11 labels, got 1" in result.output
    assert "questions[3].type: must be one of" in result.output
    path.write_text('{"slug": "x",')
    result = runner.invoke(args=["import-survey", str(path)])
    assert result.exit_code == 1 and "not valid JSON" in result.output and "line 1" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 0


@pytest.mark.parametrize("content, message", [
    (b'{"slug": "a\\u0000b", "title": "x", "questions": []}', "NUL character"),
    (b'{"slug": "a", "slug": "b"}', "the key 'slug' appears twice"),
    (b"\xff\xfe{}", "not valid UTF-8 (byte 0)"),
])
def test_import_survey_refuses_what_the_api_refuses(runner, app, tmp_path, content, message):
    """The same strict JSON as the API and the upload page: a NUL would otherwise reach PostgreSQL."""
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = runner.invoke(args=["import-survey", str(path)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 0


def test_survey_link_prints_public_and_personal_links(runner, app):
    with app.app_context():
        make_survey()
    assert runner.invoke(args=["survey-link", "support-csat"]).output == f"{BASE_URL}/s/support-csat\n"
    first = runner.invoke(args=["survey-link", "support-csat", "--email", "ann@example.com"]).output
    again = runner.invoke(args=["survey-link", "support-csat", "--email", "ANN@example.com"]).output
    assert first == again and re.fullmatch(rf"{re.escape(BASE_URL)}/r/\S{{43}}\n", first)
    bad = runner.invoke(args=["survey-link", "support-csat", "--email", "not-an-address"])
    assert bad.exit_code == 1 and "not a valid email address" in bad.output
    missing = runner.invoke(args=["survey-link", "nope"])
    assert missing.exit_code == 1 and "no survey with the slug 'nope'" in missing.output


def test_export_responses_shows_every_answer_with_version_time_and_segments(runner, app, client):
    with app.app_context():
        survey = make_survey()
        from survey.outreach.invitations import contact_for
        contact = contact_for("leeds@example.com", now=survey.created_at)
        contact.attributes = {"location": "Leeds", "team": "Billing"}
        db.session.commit()
    link = runner.invoke(args=["survey-link", "support-csat", "--email", "leeds@example.com"]).output.strip()
    path = link.removeprefix(BASE_URL)
    post_form(client, path, {"q-satisfaction": "2", "q-topics": ["Billing", "Product"], "q-resolved": "no",
                             "q-comment": "=HYPERLINK(\"http://evil\")", "consent_contact": "y"})
    post_form(app.test_client(), "/s/support-csat", {"q-satisfaction": "5", "q-channel": "Phone",
                                                       "q-comment": "-1 star from me"})

    result = runner.invoke(args=["export-responses", "support-csat", "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0])[:8] == ["response_id", "submitted_at", "updated_at", "version", "email", "source",
                                 "attr.location", "attr.team"]
    first, second = rows
    assert first["email"] == "leeds@example.com" and first["attr.location"] == "Leeds" and first["version"] == "1"
    assert first["satisfaction"] == "2" and first["topics"] == "Billing;Product" and first["resolved"] == "no"
    assert first["comment"] == "'=HYPERLINK(\"http://evil\")"  # neutralised
    assert first["contact_consent"] == "yes" and first["quote_consent"] == "no"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["submitted_at"])
    assert second["email"] == "" and second["source"] == "public" and second["comment"] == "'-1 star from me"
    assert second["channel"] == "Phone" and second["recommend"] == ""

    as_json = json.loads(runner.invoke(args=["export-responses", "support-csat", "--format", "json"]).output)
    assert as_json[0]["answers"] == {"satisfaction": 2, "topics": ["Billing", "Product"], "resolved": False,
                                     "comment": "=HYPERLINK(\"http://evil\")"}
    assert as_json[0]["attributes"] == {"location": "Leeds", "team": "Billing"}
    lines = runner.invoke(args=["export-responses", "support-csat", "--format", "jsonl"]).output.splitlines()
    assert [json.loads(line)["response_id"] for line in lines] == [r["response_id"] for r in as_json]
    future = runner.invoke(args=["export-responses", "support-csat", "--format", "json", "--since", "2999-01-01"])
    assert json.loads(future.output) == []
    assert runner.invoke(args=["export-responses", "support-csat", "--since", "yesterday"]).exit_code == 2


def test_seed_demo_loads_a_real_drop_in_leeds_and_prints_the_login(runner, app):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert re.search(r"Log in at \S+/login as demo@example.com with the password \S{12,}", result.output)
    assert "leeds.manager@example.com, the Leeds manager, who sees Leeds only" in result.output
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.output == result.output  # the login again, nothing loaded twice
    with app.app_context():
        survey = find_survey("support-csat")
        # two languages: the survey in French too, French contacts, and their answers counted with the rest
        assert survey.current_version.translations["fr"]["title"] == "Comment avons-nous fait ?"
        definition = survey_definition(survey.slug, survey.current_version)
        assert parse_survey(definition).translations == survey.current_version.translations  # a valid one
        # display logic: pages, and "What went wrong?" asked only after a low rating, so not of everyone
        assert len(survey.current_version.sections) > 1 and any(q.show_if for q in survey.current_version.questions)
        not_asked = db.session.scalars(select(Response.not_asked).where(Response.survey_id == survey.id)).all()
        assert any(not_asked) and not all(not_asked)  # some were asked what went wrong, others not
        languages = dict(db.session.execute(select(Response.language, func.count()).where(
            Response.survey_id == survey.id).group_by(Response.language)).all())
        assert set(languages) == {"en", "fr"} and languages["fr"] > 500
        total = db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == survey.id))
        assert total > 6000
        assert db.session.scalar(select(User.scope).where(User.email == "leeds.manager@example.com")) == \
            {"location": ["Leeds"]}
        # two teams, each with its lead and staff (the README says how to log in as each)
        staff = {team.name: (team.lead.email, sorted(m.email for m in team.members))
                 for team in db.session.scalars(select(Team))}
        assert staff == {"Leeds store": ("leeds.manager@example.com",
                                         ["leeds.agent@example.com", "leeds.manager@example.com"]),
                         "Everywhere else": ("demo@example.com", ["demo@example.com", "support.agent@example.com"])}
        assert "support.agent@example.com" in result.output
        recent = Response.submitted_at >= demo._month_start(utcnow(), 1)
        location = Response.attributes["location"].as_string()
        rows = db.session.execute(
            select(location, recent, func.count(), func.sum(case((Answer.value_int == 5, 1), else_=0)))
            .join(Answer).where(Answer.question_key == "satisfaction").group_by(location, recent)
        ).all()
        share = {(place, bool(is_recent)): top / n for place, is_recent, n, top in rows}
        assert 0.86 < share["Leeds", False] < 0.94 and 0.62 < share["Leeds", True] < 0.85
        assert abs(share["Manchester", False] - share["Manchester", True]) < 0.12
        themes = dict(browsing.survey_tags(survey))
        assert themes["call-backs"] > 10 and themes["delivery"] > 10  # the browser has themes to show
        # Comments in two languages, the English ones scored, the French ones not analysed.
        comments = dict(db.session.execute(
            select(Response.language, func.count(Answer.sentiment)).join(Answer)
            .where(Answer.question_key.in_(demo.TEXT_KEYS), Answer.value_text.like("%ttente%")
                   | Answer.value_text.like("%aiting%") | Answer.value_text.like("%queue%"))
            .group_by(Response.language)).all())
        assert comments["en"] > 50 and comments["fr"] == 0
        # The planted rise: words of waiting in Leeds' comments in the month of the drop, against the months
        # before it (at least three times as frequent).
        drop = (demo._month_start(utcnow(), 1), demo._month_start(utcnow(), 0))
        waiting = func.sum(case((Answer.value_text.like("%queue%") | Answer.value_text.like("%waiting%")
                                 | Answer.value_text.like("%attente%"), 1), else_=0))
        in_drop = Response.submitted_at.between(*drop)
        rates = {bool(month): (int(w) / n) for month, n, w in db.session.execute(
            select(in_drop, func.count(), waiting).join(Answer)
            .where(Answer.question_key.in_(demo.TEXT_KEYS), location == "Leeds",
                   Response.submitted_at < drop[1]).group_by(in_drop))}
        assert rates[True] > 3 * rates[False] and rates[True] > 0.15
        # Drivers: the wait explains most and is rated lowest, "fix first".
        from survey.results import drivers
        from survey.results.filters import ResultsFilter
        found = drivers.build(survey, ResultsFilter(), today=utcnow().date(), resamples=0)
        assert found.overall.key == "satisfaction" and found.found.enough
        assert [row.key for row in found.rows if row.fix_first] == ["aspects.wait"]
        # Two teams with different standards; Leeds' cases are counted against Leeds' standard.
        from datetime import timedelta

        from survey import followups
        from survey.models import FollowUpCase

        by_name = {team.name: team for team in followups.teams_in_order()}
        assert set(by_name) == {"Leeds store", "Everywhere else"}
        assert by_name["Leeds store"].first_contact_minutes == 240 and by_name["Everywhere else"].hours[5] is None
        leeds_cases = db.session.scalars(select(FollowUpCase).where(FollowUpCase.team == "Leeds store")).all()
        assert leeds_cases and all(c.team_id == by_name["Leeds store"].id for c in leeds_cases)
        standards = followups.compliance(now=utcnow(), since=utcnow() - timedelta(days=90))
        assert {row.team for row in standards} == set(by_name)
        assert followups.recurring_causes(since=utcnow() - timedelta(days=90))[0].code == "LATE-DELIVERY"


# --- dates and times: one parameter type (cli.Moment) for every option that takes one ---------------------

def test_since_reads_an_offset_and_converts_it_to_utc(runner, app):
    from datetime import date

    from tests.factories import add_answers
    with app.app_context():
        survey = make_survey()
        early, late = add_answers(survey, [(date(2026, 10, 4), None, 3), (date(2026, 10, 5), None, 5)])
    # 01:00 in UTC+2 on the 5th is 23:00 UTC on the 4th: after the first response (midnight of the 4th),
    # before the second. Read as 01:00 UTC (the offset dropped), it would keep neither.
    for since in ("2026-10-05T01:00:00+02:00", "2026-10-05T01:00+02:00"):
        result = runner.invoke(args=["export-responses", "support-csat", "--format", "json", "--since", since])
        assert result.exit_code == 0, result.output
        assert [r["response_id"] for r in json.loads(result.output)] == [late]
    zulu = runner.invoke(args=["export-responses", "support-csat", "--format", "json",
                               "--since", "2026-10-04T00:00:00Z"])
    assert [r["response_id"] for r in json.loads(zulu.output)] == [early, late]
    day = runner.invoke(args=["export-responses", "support-csat", "--format", "json", "--since", "2026-10-05"])
    assert [r["response_id"] for r in json.loads(day.output)] == [late]  # a date alone: midnight UTC, as before


def test_send_survey_at_reads_an_offset_and_stores_utc(runner, app):
    from datetime import timedelta

    from survey.models import Campaign
    with app.app_context():
        make_survey()
    due = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    in_new_york = (due - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S") + "-04:00"
    result = runner.invoke(args=["send-survey", "support-csat", "--at", in_new_york])
    assert result.exit_code == 0, result.output
    assert f"scheduled for {due:%Y-%m-%d %H:%M} UTC" in result.output
    with app.app_context():
        assert db.session.scalar(select(Campaign.scheduled_at)) == due


def test_send_scorecards_now_reads_an_offset(runner, app):
    with app.app_context():
        make_user(email="boss@example.com", role="analyst").notify_scorecard = True
        db.session.commit()
    # Monday 30 November 2026, 09:30 in UTC+2 is 07:30 UTC: before the 08:00 the scorecard waits for.
    early = runner.invoke(args=["send-scorecards", "--now", "2026-11-30T09:30:00+02:00"])
    assert early.exit_code == 0 and early.output == "0 scorecards queued\n", early.output
    due = runner.invoke(args=["send-scorecards", "--now", "2026-11-30T08:30Z"])
    assert due.exit_code == 0 and due.output == "1 scorecard queued\n", due.output


BAD_TIMES = [
    (["detect-trends", "--now"], "--now"),
    (["send-scorecards", "--now"], "--now"),
    (["send-survey", "support-csat", "--at"], "--at"),
    (["export-responses", "support-csat", "--since"], "--since"),
    (["export-responses", "support-csat", "--from"], "--from"),
    (["export-responses", "support-csat", "--to"], "--to"),
    (["export-results", "support-csat", "--from"], "--from"),
    (["export-results", "support-csat", "--to"], "--to"),
]


@pytest.mark.parametrize("value, says", [
    ("last tuesday", "'last tuesday' is not an ISO 8601 date"),
    ("2026-02-30", "'2026-02-30' is not an ISO 8601 date"),
    ("0001-01-01", "0001-01-01 is outside the years 1900–2999"),
])
@pytest.mark.parametrize("command, option", BAD_TIMES)
def test_a_bad_date_is_a_usage_error_naming_the_option_and_the_value(runner, app, command, option, value, says):
    with app.app_context():
        make_survey()
    result = runner.invoke(args=[*command, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and says in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        from survey.models import Alert, Campaign, OutboxMessage
        for model in (Alert, Campaign, OutboxMessage):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_day_options_take_a_day_and_time_options_any_iso_8601_moment(runner, app):
    with app.app_context():
        make_survey()
    timed = runner.invoke(args=["export-results", "support-csat", "--from", "2026-10-01T00:00:00+00:00"])
    assert timed.exit_code == 2 and "Invalid value for '--from'" in timed.output
    assert "is a time; this option takes a day (YYYY-MM-DD" in timed.output
    # An offset that carries the moment out of the calendar is refused too, with the moment in UTC.
    late = runner.invoke(args=["detect-trends", "--now", "2999-12-31T23:00:00-05:00"])
    assert late.exit_code == 2 and "3000-01-01 04:00 UTC" in late.output
    for pasted in ("2026-10-01T00:00:00+00:00", "2026-10-01T00:00:00Z", "2026-10-01T00:00:00z",
                   "2026-10-01 00:00", "20261001T000000Z", "2026-10-01T02:00:00.250+02:00"):
        result = runner.invoke(args=["detect-trends", "--now", pasted])
        assert result.exit_code == 0, (pasted, result.output)


def test_a_new_instance_folder_is_made_for_the_database(tmp_path):
    """With HEARKEN_SECRET_KEY set (nothing else wrote to the folder first), `flask db upgrade` into a new
    HEARKEN_INSTANCE_PATH failed with "unable to open database file"."""
    import os
    import subprocess
    import sys

    instance = tmp_path / "not" / "made" / "yet"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HEARKEN_")},
           "HEARKEN_INSTANCE_PATH": str(instance), "HEARKEN_SECRET_KEY": "s" * 40}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], env=env,
                          cwd=Path(__file__).resolve().parents[3],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (instance / "hearken.sqlite3").exists()


# Each took every command and web process 0.03-0.1 s to import, though only some requests need it: Alembic
# and Mako (`flask db`), Authlib with its JOSE and HTTP libraries (a sign-in), jsonschema with its
# meta-schemas (an API request body), Markdown (a change entry saved), email_validator (an address checked).
LOADED_WHEN_USED = ("alembic", "flask_migrate", "authlib", "jsonschema", "markdown", "email_validator")


def test_a_new_process_imports_the_heavy_libraries_only_when_used(tmp_path, runner):
    from tests.analysis.test_purity import fresh_interpreter

    code = ("import sys\nfrom survey import create_app\n"
            f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.sqlite3', 'SECRET_KEY': 'x'}})\n"
            f"print(*[name for name in {LOADED_WHEN_USED!r} if name in sys.modules])\n")
    assert fresh_interpreter(code).split() == []
    assert runner.invoke(args=["db", "heads"]).exit_code == 0  # Alembic prints past click's capture
    assert "--directory" in (listed := runner.invoke(args=["db", "--help"]).output) and "upgrade" in listed
