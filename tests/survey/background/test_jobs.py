"""Jobs: queued with their input in chunks, claimed with a lease, retried and failed, announced to an owner
who left; a dispatcher killed mid-import is resumed without a row stored twice; on SQLite customers'
submissions keep flowing while a large import is written; a campaign's launch goes on after its last
committed chunk, inviting no one twice."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text

from survey.background import dispatch, jobs
from survey.clock import utcnow
from survey.extensions import db
from survey.models import AnswerCount, Campaign, Contact, Invitation, Job, JobFile, OutboxMessage, Response
from survey.transfer import response_import
from tests.factories import NOW, make_survey, make_user
from tests.pages import hidden_fields, log_in

ROOT = Path(__file__).resolve().parents[3]
HEADER = "submitted_at,email,attr.location,satisfaction,comment\n"


def history(rows: int) -> bytes:
    """`rows` good rows, one a minute back from NOW, every tenth with a repeated address."""
    start = NOW - timedelta(minutes=rows + 1)
    lines = [HEADER] + [f"{(start + timedelta(minutes=i)).isoformat(' ')},"
                        f"{f'c{i % 97}@example.com' if i % 10 == 0 else ''},{('Leeds', 'York')[i % 2]},"
                        f"{1 + i % 5},{'slow' if i % 7 == 0 else ''}\n" for i in range(rows)]
    return "".join(lines).encode()


def test_the_input_is_stored_in_chunks_and_read_back_as_it_was(ctx, monkeypatch):
    monkeypatch.setattr(JobFile, "CHUNK", 100)
    survey = make_survey()
    data = history(40)
    job = jobs.submit("response_import", io.BytesIO(data), now=NOW, actor="test", survey=survey, input_name="h.csv")
    assert db.session.scalar(select(func.count()).select_from(JobFile)) == -(-len(data) // 100)
    stream = io.BufferedReader(jobs.JobInput(job.id), buffer_size=64)
    assert stream.read() == data
    assert stream.seek(0) == 0 and stream.readline() == HEADER.encode()
    assert stream.seek(0, io.SEEK_END) == len(data)


def test_an_import_job_checks_every_row_before_writing_one(ctx):
    survey = make_survey()
    bad = history(30) + b"later,,Leeds,9,\n"
    job = jobs.submit("response_import", io.BytesIO(bad), now=NOW, actor="test", survey=survey)
    assert jobs.run_due() == 1
    db.session.refresh(job)
    assert job.state == "refused" and job.outcome["total"] == 2
    assert [(p["row"], p["column"]) for p in job.outcome["problems"]] == [(32, "submitted_at"), (32, "satisfaction")]
    assert db.session.scalar(select(func.count(Response.id))) == 0
    assert db.session.scalar(select(func.count()).select_from(AnswerCount)) == 0


def test_an_unexpected_error_is_retried_then_failed_and_the_owner_who_left_is_emailed(ctx, monkeypatch):
    survey = make_survey()
    owner = make_user()
    attempts = []

    def broken(job, progress):
        attempts.append(job.attempts)
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(jobs.RUNNERS, "response_import", broken)
    job = jobs.submit("response_import", io.BytesIO(history(3)), now=NOW, actor=f"user:{owner.id}", survey=survey,
                      owner=owner, input_name="h.csv")
    later = [NOW + timedelta(minutes=5)]  # the owner's page has been closed for five minutes
    assert jobs.run_due(clock=lambda: later[0]) == jobs.MAX_ATTEMPTS
    db.session.refresh(job)
    assert attempts == [1, 2, 3] and job.state == "failed" and job.error == "RuntimeError: the disk is full"
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "job_finished"))
    assert email.recipient == owner.email and email.subject == "Import of responses h.csv into “How did we do?”: failed"
    assert f"https://feedback.example.test/manage/jobs/{job.id}" in email.text_body
    assert "it failed: RuntimeError: the disk is full" in email.text_body


def test_a_dispatch_pass_runs_due_jobs_after_the_email(ctx):
    survey = make_survey()
    job = jobs.submit("response_import", io.BytesIO(history(5)), now=NOW, actor="test", survey=survey)
    report = dispatch.run_once(now=NOW)
    db.session.refresh(job)
    assert report.jobs == 1 and job.state == "done" and job.outcome["imported"] == 5


def test_the_dispatch_loop_runs_jobs_in_a_thread_of_its_own(ctx, monkeypatch):
    survey = make_survey()
    job_id = jobs.submit("response_import", io.BytesIO(history(5)), now=NOW, actor="test", survey=survey).id
    monkeypatch.setattr(dispatch, "run_once", lambda **kwargs: dispatch.PassReport())
    passes = iter([False] * 200 + [True])

    def should_stop():
        time.sleep(0.02)
        return next(passes) or db.session.scalar(select(Job.state).where(Job.id == job_id)) == "done"

    dispatch.run_forever(interval=0.05, detect_every=3600, echo=print, should_stop=should_stop)
    assert db.session.scalar(select(Job.state).where(Job.id == job_id)) == "done"


def test_an_owner_watching_the_page_gets_no_email(ctx, client, app):
    survey = make_survey()
    owner = make_user()
    job = jobs.submit("response_import", io.BytesIO(history(3)), now=utcnow(), actor=f"user:{owner.id}",
                      survey=survey, owner=owner)
    jobs.run_due()
    db.session.refresh(job)
    assert job.state == "done" and job.outcome["imported"] == 3
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_an_export_job_keeps_its_workbook_a_week_and_no_job_keeps_its_upload(ctx):
    survey = make_survey()
    owner = make_user(role="analyst")
    imported = jobs.submit("response_import", io.BytesIO(history(12)), now=NOW, actor="test", survey=survey)
    export = jobs.submit("responses_xlsx", io.BytesIO(), now=NOW, actor=f"user:{owner.id}", survey=survey,
                         owner=owner, params={"filter": [["from", "2020-01-01"], ["where", "location=Leeds"]]})
    assert jobs.run_due(clock=lambda: NOW) == 2
    db.session.refresh(export)
    assert (export.state, export.outcome) == ("done", {"rows": 6})
    assert export.result_name == "support-csat-responses.xlsx"
    workbook = b"".join(jobs.result_chunks(export.id))
    assert len(workbook) == export.result_size and workbook.startswith(b"PK")  # a zip: the workbook
    jobs.forget_files(now=NOW + timedelta(days=1))
    assert db.session.scalar(select(func.count()).select_from(JobFile).where(JobFile.job_id == imported.id)) == 0
    assert b"".join(jobs.result_chunks(export.id)) == workbook  # kept for a week …
    jobs.forget_files(now=NOW + timedelta(days=8))
    db.session.refresh(export)
    assert export.result_size is None and list(jobs.result_chunks(export.id)) == []  # … then gone


def test_an_owner_whose_page_follows_the_job_by_script_gets_no_email(app, client):
    """With JavaScript the page is not reloaded: its script's requests for the job's progress count as
    watching too, or the owner still looking at the bar would be emailed a minute in."""
    with app.app_context():
        owner = make_user()
        job_id = jobs.submit("response_import", io.BytesIO(history(3)), now=utcnow() - timedelta(minutes=5),
                             actor=f"user:{owner.id}", survey=make_survey(), owner=owner).id
    log_in(client, "manager@example.com")
    assert client.get(f"/manage/jobs/{job_id}/progress").json["state"] == "queued"
    with app.app_context():
        jobs.run_due()
        assert db.session.scalar(select(Job.state).where(Job.id == job_id)) == "done"
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_job_whose_lease_ran_out_is_taken_again_and_one_out_of_attempts_fails(ctx):
    survey = make_survey()
    job = jobs.submit("response_import", io.BytesIO(history(3)), now=NOW, actor="test", survey=survey)
    assert jobs.claim(now=NOW) == job.id
    assert jobs.claim(now=NOW + timedelta(seconds=30)) is None  # its lease holds: nobody else takes it
    assert jobs.claim(now=NOW + jobs.LEASE * 2) == job.id  # the dispatcher died: taken again
    assert jobs.claim(now=NOW + jobs.LEASE * 4) == job.id
    assert jobs.claim(now=NOW + jobs.LEASE * 6) is None
    db.session.refresh(job)
    assert job.state == "failed" and "stopped 3 times" in job.error


RUN_JOBS = """
import sys
from survey import create_app
from survey.background import dispatch, jobs
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "test-secret",
                  "BASE_URL": "https://feedback.example.test"})
with app.app_context():
    jobs.run_due()
"""


def dispatcher(database_url: str, instance_path) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HEARKEN_")},
           "HEARKEN_INSTANCE_PATH": str(instance_path)}
    return subprocess.Popen([sys.executable, "-c", RUN_JOBS, database_url], cwd=ROOT, env=env)


def job_row(database_url: str, job_id: int):
    """The job as another process sees it (not through the test's session)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT state, phase, done, total FROM jobs WHERE id = :id"),
                                      {"id": job_id}).one()
    finally:
        engine.dispose()


def kill_dispatcher_mid_job(database_url: str, instance_path, job_id: int, *, written: int) -> None:
    """Start `flask dispatch --loop` and SIGKILL it once the job has written at least `written` rows."""
    child = dispatcher(database_url, instance_path)
    try:
        deadline = time.monotonic() + 120
        while (row := job_row(database_url, job_id)).phase != "writing" or row.done < written:
            assert child.poll() is None and time.monotonic() < deadline, "the job ended before it was killed"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()


def test_a_dispatcher_killed_mid_import_is_resumed_and_no_row_is_stored_twice(app, migrated, instance_path):
    rows = 60_000
    with app.app_context():
        job_id = jobs.submit("response_import", io.BytesIO(history(rows)), now=NOW, actor="test",
                             survey=make_survey()).id
    kill_dispatcher_mid_job(migrated, instance_path, job_id, written=response_import.BATCH)
    with app.app_context():
        killed = db.session.get(Job, job_id)
        assert killed.state == "running" and 0 < killed.done < rows
        # Each batch was committed with the position it reached: exactly those rows are stored.
        assert db.session.scalar(select(func.count(Response.id))) == killed.done
        assert jobs.run_due(clock=lambda: utcnow() + jobs.LEASE * 2) == 1  # its lease ran out: resumed
        done = db.session.get(Job, job_id)
        db.session.refresh(done)
        assert (done.state, done.attempts, done.done) == ("done", 2, rows)
        assert done.outcome["imported"] == rows and done.outcome["skipped"] == 0
        assert db.session.scalar(select(func.count(func.distinct(Response.respondent_key)))) == rows
        assert db.session.scalar(select(func.count(Response.id))) == rows
        counted = db.session.scalar(select(func.sum(AnswerCount.count)).where(
            AnswerCount.question_key == "*", AnswerCount.segment_name == ""))
        assert counted == rows  # every response counted once in the rollup, none lost with the killed process


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="SQLite's one write lock is what a large import could hold up")
def test_customers_submissions_flow_while_a_large_import_is_written(app, migrated, instance_path, client):
    with app.app_context():
        survey = make_survey()
        job_id = jobs.submit("response_import", io.BytesIO(history(200_000)), now=NOW, actor="test",
                             survey=survey).id
    child = dispatcher(migrated, instance_path)
    seconds, statuses = [], []
    try:
        while child.poll() is None:
            page = client.get("/s/support-csat")
            assert page.status_code == 200
            fields = {**hidden_fields(page.get_data(as_text=True)), "q-satisfaction": "4"}
            started = time.perf_counter()
            answered = client.post("/s/support-csat", data=fields)
            seconds.append(time.perf_counter() - started)
            statuses.append(answered.status_code)
    finally:
        child.wait()
    assert job_row(migrated, job_id).state == "done"
    assert len(statuses) >= 20 and set(statuses) == {303}
    seconds.sort()
    assert seconds[int(len(seconds) * 0.99)] < 1.0, seconds[-10:]
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id)).where(Response.source != "import")) == len(statuses)


# --- campaigns sent now: launched by a job, in chunks that commit with the job's position --------------

def campaign_audience(count: int, *, unsubscribed=()) -> list[int]:
    return list(db.session.scalars(insert(Contact).returning(Contact.id, sort_by_parameter_order=True), [
        {"email": f"c{n}@example.com", "name": f"Customer {n}", "attributes": {}, "created_at": NOW,
         "unsubscribed_at": NOW if n in unsubscribed else None} for n in range(count)]))


def test_a_campaign_job_that_failed_part_way_goes_on_after_its_last_chunk(ctx, monkeypatch):
    """An attempt that fails after two chunks leaves them committed with the job's position; the next attempt
    starts after them (it reads no contact twice), and the counts add up to the campaign's."""
    from survey.outreach import campaigns

    monkeypatch.setattr(campaigns, "LAUNCH_CHUNK", 4)
    owner, survey = make_user(), make_survey()
    ids = campaign_audience(13, unsubscribed={5})
    job = jobs.send_campaign_now(survey, segment={}, reminders=0, reminder_days=3, now=NOW, owner=owner)
    chunks: list[list[int]] = []
    original = campaigns._invite_chunk

    def invite_chunk(audience, chunk, position):
        chunks.append(list(chunk))
        original(audience, chunk, position)
        if len(chunks) == 3:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(campaigns, "_invite_chunk", invite_chunk)
    assert jobs.claim(now=NOW) == job.id
    failed = jobs.run(job.id)
    assert (failed.state, failed.phase, failed.done, failed.total) == ("queued", "writing", 8, 13)
    assert "the database went away" in failed.error
    assert jobs.phase_line(failed) == "Waiting to go on where it stopped"
    assert db.session.scalar(select(func.count(Invitation.id))) == 7  # two chunks, one contact unsubscribed
    campaign = db.session.get(Campaign, job.params["campaign_id"])
    assert campaign.launched_at is None and (campaign.matched, campaign.queued) == (8, 7)

    chunks.clear()
    assert jobs.run_due() == 1
    done = db.session.get(Job, job.id)
    db.session.refresh(done)
    assert (done.state, done.attempts, done.done, done.total) == ("done", 2, 13, 13)
    assert chunks == [ids[8:12], ids[12:]]  # after the last committed chunk, not from the first contact
    assert done.outcome == {"matched": 13, "queued": 12, "skipped_cap": 0, "skipped_unsubscribed": 1}
    assert db.session.scalar(select(func.count(func.distinct(Invitation.contact_id)))) == 12
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "invitation")) == 12
    db.session.refresh(campaign)
    assert campaign.launched_at is not None and (campaign.matched, campaign.queued) == (13, 12)


def test_a_dispatcher_killed_mid_launch_is_resumed_and_no_one_is_invited_twice(app, migrated, instance_path):
    contacts = 8_000
    with app.app_context():
        owner, survey = make_user(), make_survey()
        campaign_audience(contacts, unsubscribed={10, 5_000})
        job = jobs.send_campaign_now(survey, segment={}, reminders=0, reminder_days=3, now=utcnow(), owner=owner)
        job_id, campaign_id = job.id, job.params["campaign_id"]
    kill_dispatcher_mid_job(migrated, instance_path, job_id, written=1_000)
    with app.app_context():
        killed = db.session.get(Job, job_id)
        assert killed.state == "running" and 0 < killed.done < contacts
        assert jobs.phase_line(killed).startswith("Queueing invitations: ")
        # Each chunk was committed with the position it reached: exactly those contacts are invited.
        invited = db.session.scalar(select(func.count(Invitation.id)))
        assert invited == killed.outcome["queued"] and killed.outcome["matched"] == killed.done
        assert db.session.scalar(select(Campaign.queued).where(Campaign.id == campaign_id)) == invited
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == invited
        assert jobs.run_due(clock=lambda: utcnow() + jobs.LEASE * 2) == 1  # its lease ran out: resumed
        done = db.session.get(Job, job_id)
        db.session.refresh(done)
        assert (done.state, done.attempts, done.done) == ("done", 2, contacts)
        assert done.outcome == {"matched": contacts, "queued": contacts - 2, "skipped_cap": 0,
                                "skipped_unsubscribed": 2}
        assert db.session.scalar(select(func.count(func.distinct(Invitation.contact_id)))) == contacts - 2
        assert db.session.scalar(select(func.count(Invitation.id))) == contacts - 2
        emails = select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "invitation")
        assert db.session.scalar(emails) == contacts - 2
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.launched_at is not None and campaign.queued == contacts - 2
