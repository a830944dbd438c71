"""The command line of INTERFACES.md: exit 0 on success, 1 on rejected input (saying what and where)."""
import csv
import io
import json
import re

import pytest
from sqlalchemy import case, func, select

from survey import browsing, demo
from survey.authoring import find_survey
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Answer, Response, Survey, User
from tests.conftest import BASE_URL
from tests.factories import make_definition, make_survey
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
        from survey.invitations import contact_for
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
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.output == result.output  # the login again, nothing loaded twice
    with app.app_context():
        survey = find_survey("support-csat")
        total = db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == survey.id))
        assert total > 6000
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
