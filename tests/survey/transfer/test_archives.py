"""Survey archives: a survey with every version and response moves from one database to another intact
(compared record by record), an address already taken is refused unless another is given, and a bad
archive is refused with the place of every problem and nothing created."""
from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from survey import authoring, database
from survey.authoring.definitions import parse_survey, survey_definition
from survey.extensions import db
from survey.models import AnswerCount, Contact, ResponseTag, Survey, SurveyVersion
from survey.responding.submission import Consents, Respondent, submit_response
from survey.results import rollups
from survey.transfer import archives, exports, response_import
from tests.conftest import build_app
from tests.factories import NOW, make_definition, make_survey

HISTORY = ("submitted_at,email,attr.location,satisfaction,recommend,channel,topics,comment\n"
           "2025-12-01 09:00,ann@example.com,Leeds,5,9,Phone,Billing;Product,=1+1\n"
           "2025-12-02 09:00,bob@example.com,York,1,0,,,<b>slow</b>\n")


def two_versions_with_responses() -> Survey:
    """Version 1 answered by the live form and by an import; version 2 (one question changed) by the form."""
    survey = make_survey()
    respondent = Respondent(key="live-1", source="public", attributes={"location": "Leeds", "team": "Billing"})
    submit_response(survey.current_version, respondent, {"satisfaction": 4, "resolved": True, "topics": ["Delivery"]},
                    Consents(quote=True), submission_key="a" * 20, now=datetime(2026, 10, 1, 12))
    response_import.import_responses(survey, HISTORY.encode(), now=NOW, actor="test")
    definition = make_definition()
    definition["questions"][2]["options"] = ["Phone", "E-mail", "In store", "Chat"]  # reworded and one more
    authoring.import_survey(parse_survey(definition), actor=None, now=datetime(2026, 10, 5))
    submit_response(survey.current_version, Respondent(key="live-2", source="link"),
                    {"satisfaction": 2, "channel": "Chat", "comment": "Ünïcode ✓"}, Consents(contact=True),
                    submission_key="b" * 20, now=datetime(2026, 10, 6, 8))
    db.session.add(ResponseTag(response_id=1, tag="billing", created_at=NOW))
    db.session.commit()
    return survey


def snapshot(slug: str) -> dict:
    """What must survive a move: versions, responses (without their ids) and the rollup, its cells under
    their version's number."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    return {
        "status": survey.status,
        "versions": [(v.number, v.created_at, survey_definition("-", v)) for v in survey.versions],
        "responses": [{k: v for k, v in record.items() if k != "response_id"}
                      for record in exports.export_records(exports.Selection(survey))],
        "counts": sorted((c.question_key, c.local_date, c.segment_name, c.segment_value, c.value_int, number, c.count)
                         for c, number in db.session.execute(
                             select(AnswerCount, SurveyVersion.number)
                             .join(SurveyVersion, AnswerCount.version_id == SurveyVersion.id)
                             .where(AnswerCount.survey_id == survey.id))),
    }


@pytest.fixture
def other_app(tmp_path):
    """A second Hearken, on its own SQLite database."""
    other = build_app(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path / "other-instance")
    with other.app_context():
        database.upgrade()
    yield other
    with other.app_context():
        db.engine.dispose()


def test_a_survey_moves_to_another_database_intact(app, other_app, tmp_path):
    archive = tmp_path / "support-csat.json"
    with app.app_context():
        two_versions_with_responses()
        before = snapshot("support-csat")
        written = app.test_cli_runner().invoke(args=["export-archive", "support-csat", "--output", str(archive)])
    assert written.exit_code == 0 and "2 versions, 4 responses" in written.output, written.output
    with other_app.app_context():
        done = other_app.test_cli_runner().invoke(args=["import-archive", str(archive)])
        assert done.exit_code == 0, done.output
        assert "created support-csat with 2 versions and 4 responses; created 2 contacts" in done.output
        after = snapshot("support-csat")
        assert sorted(db.session.scalars(select(Contact.email))) == ["ann@example.com", "bob@example.com"]
        rollups.rebuild(db.session.scalar(select(Survey.id)))  # the import's own counts are a rebuild's
        assert snapshot("support-csat")["counts"] == after["counts"]
    assert after == before
    assert {cell[5] for cell in after["counts"]} == {1, 2}  # each version's responses under it
    assert [r["source"] for r in after["responses"]] == ["public", "import", "import", "link"]
    assert after["responses"][1]["answers"]["comment"] == "=1+1"


def test_an_address_already_taken_is_refused_unless_another_is_given(ctx, runner, tmp_path):
    two_versions_with_responses()
    archive = tmp_path / "a.json"
    runner.invoke(args=["export-archive", "support-csat", "--output", str(archive)])
    refused = runner.invoke(args=["import-archive", str(archive)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "a survey with the address 'support-csat' already exists here" in refused.output
    assert "--slug NEW" in refused.output
    done = runner.invoke(args=["import-archive", str(archive), "--slug", "support-csat-2025"])
    assert done.exit_code == 0, done.output
    original, copy = snapshot("support-csat"), snapshot("support-csat-2025")
    assert copy["responses"] == original["responses"] and copy["versions"] == original["versions"]
    bad_slug = runner.invoke(args=["import-archive", str(archive), "--slug", "Not A Slug"])
    assert bad_slug.exit_code == 1 and "slug: must be 1-80 lower-case letters" in bad_slug.output


def test_export_archive_to_stdout_is_one_json_document(ctx, runner):
    two_versions_with_responses()
    printed = runner.invoke(args=["export-archive", "support-csat"])
    document = json.loads(printed.stdout)
    assert document["format"] == "hearken-survey-archive" and document["version"] == 1
    assert [v["number"] for v in document["versions"]] == [1, 2] and len(document["responses"]) == 4
    assert document["versions"][1]["definition"]["questions"][2]["options"] == ["Phone", "E-mail", "In store", "Chat"]


def test_an_archive_is_read_in_small_pieces(ctx, monkeypatch):
    two_versions_with_responses()
    out = io.StringIO()
    archives.write_archive(db.session.scalar(select(Survey)), out, now=NOW)
    monkeypatch.setattr(archives, "CHUNK", 3)  # every value straddles reads
    # Another layout of the same document: other spacing and field order (responses still last).
    document = json.loads(out.getvalue())
    responses = document.pop("responses")
    relaid = json.dumps(dict(reversed(list(document.items()))), indent=3)[:-1] + ', "responses" :\n[' + \
        " ,\n".join(json.dumps(r, indent=1) for r in responses) + "]\n}\n"
    outcome = archives.import_archive(relaid.encode(), slug="relaid", now=NOW, actor="test")
    assert (outcome.versions, outcome.responses) == (2, 4)
    assert snapshot("relaid")["responses"] == snapshot("support-csat")["responses"]


def archive_with(**changes) -> bytes:
    document = {"format": "hearken-survey-archive", "version": 1, "exported_at": "2026-11-01T12:00:00Z",
                "survey": {"slug": "moved", "status": "published", "created_at": "2026-01-01T00:00:00Z",
                           "updated_at": "2026-01-02T00:00:00Z"},
                "versions": [{"number": 1, "created_at": "2026-01-01T00:00:00Z",
                              "definition": make_definition(slug="moved")}],
                "responses": [{"response_id": 1, "submitted_at": "2026-02-01T10:00:00Z",
                               "updated_at": "2026-02-01T10:00:00Z", "version": 1, "email": None, "source": "link",
                               "attributes": {}, "answers": {"satisfaction": 4}, "quote_consent": False,
                               "contact_consent": False, "tags": []}]}
    for name, value in changes.items():
        if name == "response":
            document["responses"][0].update(value)
        else:
            document[name] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize("data, problem", [
    (b"", "the archive: expected '{', found the end of the file"),
    (b"[1, 2]", "the archive: expected '{', found '['"),
    (b'{"format": "hearken-survey-archive", "version": 1, "survey": ', "survey: not valid JSON"),
    (b"\xff\xfe{}", "the file is not UTF-8 text"),
    (archive_with(format="something-else"), "format: this is not a Hearken survey archive"),
    (archive_with(version=2), "version: archive version 2 cannot be read; this Hearken reads version 1"),
    (archive_with(versions=[{"number": 1, "created_at": "2026-01-01T00:00:00Z",
                             "definition": {"title": "", "questions": []}}]),
     "versions[0].definition.title: is required"),
    (archive_with(versions=[]), "versions: must be a list of at least one version"),
    (archive_with(survey={"slug": "moved", "status": "published", "created_at": "0001-01-01T00:00:00+01:00"}),
     "survey.created_at: 0001-01-01 is outside the years 1900–2999"),
    (archive_with(response={"answers": {"satisfaction": 9}}),
     "responses[0].answers.satisfaction: 9 is not on the 5-point scale (1–5)"),
    (archive_with(response={"answers": {"mood": "fine"}}),
     "responses[0].answers.mood: no version of the survey has this question"),
    (archive_with(response={"source": "carrier pigeon"}), "responses[0]: source must be one of link, public, import"),
    (archive_with(response={"shoe_size": 9}), "responses[0]: unknown fields shoe_size"),
    (archive_with(response={"email": "not-an-address"}), "responses[0].email: 'not-an-address' is not a valid"),
    (archive_with(response={"submitted_at": "2030-01-01T00:00:00Z"}),
     "responses[0].submitted_at: 2030-01-01T00:00:00Z is in the future"),
    (archive_with(response={"version": 3}), "responses[0].version: '3' is not a version of this survey (1–1)"),
])
def test_a_bad_archive_is_refused_with_where_and_creates_nothing(ctx, data, problem):
    with pytest.raises(archives.ArchiveError) as refused:
        archives.import_archive(data, slug=None, now=NOW, actor="test")
    assert refused.value.problems[0].startswith(problem), refused.value.problems
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_import_archive_command_lists_problems_and_exits_1(ctx, runner, tmp_path):
    archive = tmp_path / "bad.json"
    archive.write_bytes(archive_with(response={"answers": {"satisfaction": 0, "recommend": 11}}))
    result = runner.invoke(args=["import-archive", str(archive)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{archive}: responses[0].answers.recommend: 11 is not on the NPS scale (0–10)" in result.output
    assert "nothing imported: 2 problems" in result.output
    good = tmp_path / "good.json"
    good.write_bytes(archive_with())
    assert runner.invoke(args=["import-archive", str(good)]).exit_code == 0
    assert db.session.scalar(select(Survey.status).where(Survey.slug == "moved")) == "published"
