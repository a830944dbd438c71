"""Jobs: long work (importing responses, …) done by `flask dispatch` instead of inside a web request.

The page, the API and the command line `submit` a job: its input file is stored in the database in
chunks (JobFile) and the job is queued, in one commit, and the caller answers at once with where to follow
it. A dispatcher `claim`s queued jobs as it claims outbox rows (SKIP LOCKED, a lease it renews while it
works, so several dispatchers can run on PostgreSQL and SQLite works alone) and runs each to its end:

- done: `outcome` says what it did (counts);
- refused: the input was wrong and nothing was changed; `outcome` lists the problems (row, column, message);
- failed: an unexpected error on every one of MAX_ATTEMPTS attempts; `error` says the last one.

A dispatcher that dies mid-job leaves it `running` with a lease that runs out; the next claim takes it
again and its runner resumes after the last step it committed (survey.progress). Each runner is written
so that running it again from the start cannot store anything twice either (an import's respondent keys).

A job that ends while its owner is not watching its page (watched_at more than WATCHED ago) is announced
to them by email.
"""
from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import IO, cast

from flask import current_app, render_template
from sqlalchemy import CursorResult, and_, bindparam, delete, func, insert, or_, select, update
from werkzeug.datastructures import MultiDict

from survey import mail, outreach
from survey.accounts import scopes
from survey.clock import local_date, utcnow
from survey.database import read_row, reading_only, write_without_waiting
from survey.extensions import db
from survey.links import external_url
from survey.models import ApiToken, Campaign, Job, JobFile, JobState, Survey, User
from survey.models.jobs import FINISHED
from survey.progress import Progress
from survey.results import theme_tags, themes
from survey.results.filters import parse_filter
from survey.results.settings import Settings
from survey.transfer import exports, response_import
from survey.wording import plural

LEASE = timedelta(minutes=2)  # renewed at every progress report, at least every few seconds while working
MAX_ATTEMPTS = 3
KEEP_RESULTS = timedelta(days=7)  # a result file is kept this long after its job ended
WATCHED = timedelta(seconds=60)  # the job page refreshes every few seconds while it is open
REPORT_EVERY = 1.0  # seconds between progress reports (each a write of its own) while a runner reads


class JobRefused(Exception):
    """The job's input is wrong and nothing was changed: `problems` (each a dict with row, column and
    message; the first few hundred) and how many there were in all."""

    def __init__(self, summary: str, problems: list[dict], total: int):
        super().__init__(summary)
        self.summary, self.problems, self.total = summary, problems, total


class LostClaim(Exception):
    """Another dispatcher took the job over (this one stalled past its lease): stop without writing."""


# --- starting a job ---------------------------------------------------------------------------------

def submit(kind: str, data: IO[bytes] | None = None, *, now: datetime, actor: str, survey: Survey | None = None,
           owner: User | None = None, api_token: ApiToken | None = None, input_name: str | None = None,
           params: dict | None = None) -> Job:
    """Queue a job of `kind` with `data` (read to its end), if any, as its input file; commits once."""
    job = _queued(kind, now=now, actor=actor, survey=survey, owner=owner, api_token=api_token,
                  input_name=input_name, params=params)
    seq = 0
    while data is not None and (chunk := data.read(JobFile.CHUNK)):
        db.session.add(JobFile(job_id=job.id, role="input", seq=seq, data=chunk))
        seq += 1
    db.session.commit()
    return job


def _queued(kind: str, *, now: datetime, actor: str, survey: Survey | None, owner: User | None,
            api_token: ApiToken | None = None, input_name: str | None = None, params: dict | None = None) -> Job:
    """A new queued job in the session (its id flushed), for the caller to commit."""
    if kind not in RUNNERS:
        raise ValueError(f"unknown kind of job: {kind!r}")
    if (scope := scopes.active()) is not None:  # a scoped person's job reads what they may (`run`)
        params = {**(params or {}), "scope": scope.stored()}
    job = Job(kind=kind, state=JobState.QUEUED, actor=actor, survey_id=survey.id if survey else None,
              owner_id=owner.id if owner else None, api_token_id=api_token.id if api_token else None,
              params=params or {}, input_name=input_name, phase="waiting", done=0, attempts=0,
              created_at=now, watched_at=now if owner else None)
    db.session.add(job)
    db.session.flush()
    return job


def send_campaign_now(survey: Survey, *, segment: dict[str, list[str]], reminders: int, reminder_days: int,
                      now: datetime, owner: User, at: datetime | None = None,
                      wording: mail.Wording = mail.DEFAULT_WORDING) -> Job:
    """A campaign to send now and the job that launches it, in one commit: the page answers at once however
    large the audience, and no dispatcher pass can launch the campaign meanwhile (it is the job's). `at`, if
    given, is a moment already passed (a time typed as now), which new_campaign checks. Raises
    outreach.OutreachError for bad input, having stored nothing."""
    campaign = outreach.new_campaign(survey, segment=segment, at=at, reminders=reminders,
                                     reminder_days=reminder_days, now=now, actor_id=owner.id, wording=wording)
    job = _queued("campaign_launch", now=now, actor=f"user:{owner.id}", survey=survey, owner=owner,
                  params={"campaign_id": campaign.id})
    campaign.job_id = job.id
    db.session.commit()
    return job


def propose_themes(survey: Survey, *, now: datetime, owner: User) -> Job:
    """Queue the job that proposes themes from the survey's comments (a waiting one is reused); commits."""
    job = _waiting("theme_proposals", survey) or _queued("theme_proposals", now=now, actor=f"user:{owner.id}",
                                                         survey=survey, owner=owner)
    db.session.commit()
    return job


def change_themes(survey: Survey, decision: Callable[[], bool], *, now: datetime, owner: User) -> Job | None:
    """Make a decision about the survey's themes (survey.results.themes: accept, edit, merge, reject) and,
    when it says every comment must be tagged again, queue the job that does (unless one is waiting, which
    will read the themes as they then are), in one commit. A ThemeError changes nothing."""
    try:
        retag = decision()
    except themes.ThemeError:
        db.session.rollback()
        raise
    job = None
    if retag:
        job = _waiting("theme_tagging", survey) or _queued("theme_tagging", now=now, actor=f"user:{owner.id}",
                                                           survey=survey, owner=owner)
    db.session.commit()
    return job


def _waiting(kind: str, survey: Survey) -> Job | None:
    """A job of `kind` for the survey that has not started yet."""
    return db.session.scalar(select(Job).where(Job.kind == kind, Job.survey_id == survey.id,
                                               Job.state == JobState.QUEUED, Job.attempts == 0).limit(1))


def file_name(uploaded: str | None) -> str | None:
    """An uploaded file's name as shown on the job's page and in its email: its last path part, without
    control characters, at most 120 characters."""
    name = "".join(ch for ch in (uploaded or "").replace("\\", "/").rpartition("/")[2] if ch.isprintable())
    return name.strip()[:120] or None


INPUT_CHUNK = select(JobFile.data).where(JobFile.job_id == bindparam("job_id"), JobFile.role == "input",
                                         JobFile.seq == bindparam("seq"))


class JobInput(io.RawIOBase):
    """A job's input file, read chunk by chunk from the database (never whole in memory), seekable.

    Each chunk is read straight through the driver outside any transaction (database.read_row): a runner
    reading its input between the batches it writes holds no lock meanwhile (on SQLite, a transaction
    begun outside a request takes the write lock)."""

    def __init__(self, job_id: int):
        super().__init__()
        self.job_id = job_id
        self.size: int = db.session.scalar(select(func.coalesce(func.sum(func.length(JobFile.data)), 0)).where(
            JobFile.job_id == job_id, JobFile.role == "input")) or 0
        self.position = 0
        self.chunk: bytes = b""
        self.chunk_seq = -1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        seq, offset = divmod(self.position, JobFile.CHUNK)
        if seq != self.chunk_seq:
            row = read_row(INPUT_CHUNK, job_id=self.job_id, seq=seq)
            self.chunk, self.chunk_seq = (bytes(row[0]) if row else b""), seq
        piece = self.chunk[offset:offset + len(buffer)]
        buffer[:len(piece)] = piece
        self.position += len(piece)
        return len(piece)


# --- running jobs -----------------------------------------------------------------------------------

def claim(*, now: datetime, job_id: int | None = None) -> int | None:
    """Take the oldest due job (queued, or running with a lease that ran out), or job `job_id` if it is
    due, for this process: its id. A job that has used up its attempts is marked failed on the way."""
    due = or_(Job.state == JobState.QUEUED, and_(Job.state == JobState.RUNNING, Job.claimed_until < now))
    if job_id is not None:
        due = and_(due, Job.id == job_id)
    while (job_id := db.session.scalar(select(Job.id).where(due).order_by(Job.id).limit(1)
                                       .with_for_update(skip_locked=True))) is not None:
        job = db.session.get_one(Job, job_id)
        if job.attempts >= MAX_ATTEMPTS:
            _end(job, JobState.FAILED, now=now, error=job.error or
                 f"stopped {job.attempts} times before it could finish (was the dispatcher killed?)")
            continue
        job.state, job.attempts, job.claimed_until = JobState.RUNNING, job.attempts + 1, now + LEASE
        job.started_at = job.started_at or now
        db.session.commit()
        return job_id
    db.session.commit()
    return None


def run_due(*, clock: Callable[[], datetime] = utcnow) -> int:
    """Run due jobs one after another until none is left: how many ran. Files no longer needed go first."""
    forget_files(now=clock())
    ran = 0
    while (job_id := claim(now=clock())) is not None:
        run(job_id, clock=clock)
        ran += 1
    return ran


def run(job_id: int, *, clock: Callable[[], datetime] = utcnow, progress: Progress | None = None) -> Job:
    """Run a claimed job to its end (or to the end of this attempt); `progress` is told too (the command
    line's progress bar)."""
    job = db.session.get_one(Job, job_id)
    tracker = JobProgress(job, clock=clock, echo=progress)
    try:
        with scopes.applied(scopes.Scope.of(job.params.get("scope"))):
            RUNNERS[job.kind](job, tracker)
    except JobRefused as refused:
        db.session.rollback()
        _end(job, JobState.REFUSED, now=clock(), outcome={"summary": refused.summary, "total": refused.total,
                                                            "problems": refused.problems})
    except LostClaim:
        db.session.rollback()
    except Exception as error:  # noqa: BLE001 — recorded on the job, tried again until MAX_ATTEMPTS
        db.session.rollback()
        message = f"{type(error).__name__}: {error}"[:2000]
        current_app.logger.exception("job %s (%s) failed", job.id, job.kind)
        if job.attempts >= MAX_ATTEMPTS:
            _end(job, JobState.FAILED, now=clock(), error=message)
        else:  # back in the queue: the next pass resumes it
            db.session.execute(update(Job).where(Job.id == job.id).values(
                state=JobState.QUEUED, claimed_until=None, error=message))
            db.session.commit()
    db.session.refresh(job)
    return job


def _end(job: Job, state: JobState, *, now: datetime, outcome: dict | None = None, error: str | None = None) -> None:
    """Record how a job ended (and announce it to an owner who left), in one commit."""
    job.state, job.finished_at, job.claimed_until = state, now, None
    if outcome is not None:
        job.outcome = outcome
    if error is not None:
        job.error = error
    _announce(job, now=now)
    db.session.commit()


def _announce(job: Job, *, now: datetime) -> None:
    """Email the owner that their job ended, unless they are watching its page."""
    if job.owner_id is None or (job.watched_at is not None and now - job.watched_at < WATCHED):
        return
    owner = db.session.get(User, job.owner_id)
    if owner is None:
        return
    context = dict(job=job, what=describe(job), result=result_line(job), organisation=current_app.config[
        "ORGANISATION_NAME"], url=external_url("manage.jobs.job_page", job_id=job.id))
    rendered = mail.Rendered(f"{context['what']}: {STATE_WORDS[job.state]}"[:300],
                             render_template("email/job_finished.txt", **context), None, {})
    mail.queue(rendered, kind="job_finished", recipient=owner.email, now=now)


STATE_WORDS: dict[str, str] = {JobState.QUEUED: "waiting", JobState.RUNNING: "running", JobState.DONE: "done",
                               JobState.REFUSED: "nothing was changed", JobState.FAILED: "failed"}


def describe(job: Job) -> str:
    """What a job does, in words: 'Import of responses h.csv into “How did we do?”'."""
    survey = db.session.get(Survey, job.survey_id) if job.survey_id else None
    return KIND_WORDS[job.kind].format(name=f" {job.input_name}" if job.input_name else "",
                                       survey=f"“{survey.title}”" if survey else "a deleted survey")


def result_line(job: Job) -> str:
    """How it ended, in one line: the outcome's summary, the refusal's, or the error."""
    if job.state == JobState.DONE:
        return SUMMARIES[job.kind](job.outcome or {})
    if job.state == JobState.REFUSED:
        return (job.outcome or {}).get("summary", "nothing was changed")
    if job.state == JobState.FAILED:
        return f"it failed: {job.error}"
    return STATE_WORDS[job.state]


def percent(job: Job) -> int | None:
    """How far it got, when that is known (not while it waits, nor while it counts its input)."""
    if job.finished:
        return 100
    return min(100, job.done * 100 // job.total) if job.total else None


def phase_line(job: Job) -> str:
    """Where an unfinished job is, in words, for the progress bar's label."""
    if job.state == JobState.QUEUED:
        return "Waiting to start" if not job.attempts else "Waiting to go on where it stopped"
    share = f": {percent(job)} %" if job.total else ""
    if job.phase == "checking":
        return f"Checking every row of the file first{share}"
    if job.phase == "writing" and job.total and job.kind == "campaign_launch":
        return f"Queueing invitations: {job.done:,} of {job.total:,} contacts".replace(",", "\u202f")
    if job.phase == "writing" and job.total and job.kind == "theme_tagging":
        return f"Tagging comments: {job.done:,} of {job.total:,} responses".replace(",", "\u202f")
    if job.phase == "writing" and job.total:
        return f"Storing: {job.done:,} of {job.total:,} rows".replace(",", "\u202f")
    if job.phase == "reading":
        return f"Reading comments{share}"
    if job.phase == "clustering":
        return f"Finding themes in {job.done:,} comments".replace(",", "\u202f")
    if job.phase == "exporting":
        return f"Writing the workbook: {job.done:,} responses so far".replace(",", "\u202f")
    return "Starting"


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def as_json(job: Job) -> dict:
    """The job resource of the API (and of the job page's script): docs/api.md."""
    return {"id": job.id, "kind": job.kind, "state": job.state, "phase": job.phase, "done": job.done,
            "total": job.total, "percent": percent(job),
            "progress": phase_line(job), "summary": result_line(job),
            "created_at": _moment(job.created_at), "started_at": _moment(job.started_at),
            "finished_at": _moment(job.finished_at), "attempts": job.attempts,
            "outcome": job.outcome if job.finished else None,
            "error": job.error if job.state == JobState.FAILED else None}


class JobProgress(Progress):
    """Progress recorded on the job row: what the job page and the API show, and the lease renewed with
    every report. Ticks are throttled to one a second, each written on a connection of its own without
    waiting (skipped when the database is busy); a checkpoint records the rows written in the same commit
    as the rows, and raises LostClaim when the job is no longer this attempt's (its lease ran out and
    another dispatcher took it)."""

    def __init__(self, job: Job, *, clock: Callable[[], datetime], echo: Progress | None = None):
        self.job_id, self.attempt, self.clock, self.echo = job.id, job.attempts, clock, echo
        self.resume_from = job.done if job.phase == "writing" else 0
        self.state = job.outcome if self.resume_from else None
        self.phase, self.reported, self.total = job.phase, 0.0, job.total

    def _ours(self) -> tuple:
        """The job, while this attempt still holds it."""
        return Job.id == self.job_id, Job.attempts == self.attempt, Job.state == JobState.RUNNING

    def _save(self, **values) -> None:
        result = cast(CursorResult, db.session.execute(  # a DML statement's result: it has a rowcount
            update(Job).where(*self._ours()).values(**{"claimed_until": self.clock() + LEASE, **values})))
        if result.rowcount != 1:
            raise LostClaim(self.job_id)
        self.reported = time.monotonic()

    def tick(self, phase: str, done: int, total: int | None = None) -> None:
        if self.echo is not None:
            self.echo.tick(phase, done, total)
        self.total = total if phase != self.phase or total is not None else self.total
        if phase == self.phase and time.monotonic() - self.reported < REPORT_EVERY:
            return
        self.phase, self.reported = phase, time.monotonic()
        # On a connection of its own that never waits: the work may be reading in a transaction that must
        # not become a writer (an export, database.read_first). A report that cannot be written at once is
        # skipped: the next comes a second later.
        write_without_waiting(update(Job).where(*self._ours()).values(
            phase=phase, done=done, total=self.total, claimed_until=self.clock() + LEASE))

    def checkpoint(self, done: int, state: dict) -> None:
        if self.echo is not None:
            self.echo.tick("writing", done, self.total)
        self._save(phase="writing", done=done, total=self.total, outcome=state)
        db.session.commit()

    def finish(self, outcome: dict) -> None:
        # In the runner's last transaction, with its last rows: done, and announced if nobody watches.
        now = self.clock()
        self._save(state=JobState.DONE, outcome=outcome, done=func.coalesce(Job.total, Job.done), finished_at=now,
                   claimed_until=None)
        job = db.session.get_one(Job, self.job_id)
        db.session.refresh(job)
        _announce(job, now=now)


# --- what each kind does ----------------------------------------------------------------------------

def _import_responses(job: Job, progress: JobProgress) -> None:
    survey = db.session.get(Survey, job.survey_id) if job.survey_id else None
    if survey is None:
        raise JobRefused("the survey was deleted before its import ran", [], 1)
    stream = io.BufferedReader(JobInput(job.id), buffer_size=1 << 16)
    try:
        response_import.import_responses(survey, stream, now=job.created_at, actor=job.actor,
                                         actor_id=job.owner_id, progress=progress)
    except response_import.ResponseImportError as error:
        if error.problems and error.problems[0].message == response_import.CONCURRENT:
            raise  # another import stored some of the same rows meanwhile: tried again, which skips them
        raise JobRefused(error.summary(), [problem._asdict() for problem in error.problems],
                         error.total) from None
    # Imported comments are tagged with the survey's accepted themes by a job of their own.
    if theme_tags.accepted_terms(survey.id) and not _waiting("theme_tagging", survey):
        _queued("theme_tagging", now=job.created_at, actor=job.actor, survey=survey,
                owner=db.session.get(User, job.owner_id) if job.owner_id else None)
        db.session.commit()


def _export_responses(job: Job, progress: JobProgress) -> None:
    """The responses a results or browser page selected (its query string, in params["filter"]) as an Excel
    workbook: read without holding SQLite's write lock, written to a temporary file, then stored as the
    job's result in its last transaction."""
    survey = db.session.get(Survey, job.survey_id) if job.survey_id else None
    if survey is None:
        raise JobRefused("the survey was deleted before its export ran", [], 1)
    parsed = parse_filter(MultiDict(job.params.get("filter", [])),
                          segment_names=Settings.from_config(current_app.config).segment_names)
    if parsed.problems:
        raise JobRefused(" ".join(parsed.problems), [], len(parsed.problems))
    selection = exports.filtered(survey, parsed.filter,
                                 today=local_date(job.created_at, current_app.config["TIMEZONE"]))
    with tempfile.TemporaryFile() as spool:
        with reading_only():
            rows = exports.write_xlsx(selection, spool, progress)
        size = spool.tell()
        spool.seek(0)
        _store_result(job.id, spool)
        db.session.execute(update(Job).where(Job.id == job.id).values(
            result_name=f"{survey.slug}-responses.xlsx", result_type=exports.XLSX, result_size=size, total=rows))
        progress.finish({"rows": rows})
        db.session.commit()


def _store_result(job_id: int, data: IO[bytes]) -> None:
    seq = 0
    while chunk := data.read(JobFile.CHUNK):
        db.session.execute(insert(JobFile), [{"job_id": job_id, "role": "result", "seq": seq, "data": chunk}])
        seq += 1


RESULT_CHUNK = select(JobFile.data).where(JobFile.job_id == bindparam("job_id"), JobFile.role == "result",
                                          JobFile.seq == bindparam("seq"))


def result_chunks(job_id: int) -> Iterator[bytes]:
    """A finished job's result file, chunk by chunk, each read outside any transaction (database.read_row)."""
    seq = 0
    while (row := read_row(RESULT_CHUNK, job_id=job_id, seq=seq)) is not None:
        yield bytes(row[0])
        seq += 1


def forget_files(*, now: datetime) -> int:
    """Delete the input files of ended jobs (uploads hold personal data, and nothing reads them again) and
    the results older than KEEP_RESULTS: how many chunks went."""
    ended = select(Job.id).where(Job.state.in_(FINISHED))
    old = select(Job.id).where(Job.state.in_(FINISHED), Job.finished_at < now - KEEP_RESULTS)
    gone = cast(CursorResult, db.session.execute(delete(JobFile).where(or_(
        and_(JobFile.role == "input", JobFile.job_id.in_(ended)),
        and_(JobFile.role == "result", JobFile.job_id.in_(old)))))).rowcount
    db.session.execute(update(Job).where(Job.id.in_(old), Job.result_size.is_not(None)).values(result_size=None))
    db.session.commit()
    return gone


def _launch_campaign(job: Job, progress: JobProgress) -> None:
    """A campaign sent from the page for now, launched in chunks that each commit with the job's position
    (outreach.launch): a killed dispatcher's or a failed attempt's launch goes on after the last chunk it
    committed, inviting no one twice. No pass launches the campaign behind the job's back, even when every
    attempt failed: the job says how far it got and why it stopped."""
    campaign = db.session.get(Campaign, job.params["campaign_id"])
    if campaign is None:
        raise JobRefused("the campaign was deleted before it was sent", [], 1)
    try:
        outreach.launch(campaign, now=max(job.created_at, utcnow()), progress=progress)
    except outreach.OutreachError as error:  # deleted while it was being launched
        raise JobRefused(str(error), [], 1) from None


def _survey_of(job: Job) -> Survey:
    survey = db.session.get(Survey, job.survey_id) if job.survey_id else None
    if survey is None:
        raise JobRefused("the survey was deleted before the job ran", [], 1)
    return survey


def _propose_themes(job: Job, progress: JobProgress) -> None:
    """Themes found in the survey's comments, stored as proposals (survey.results.themes): read, then
    clustered in memory, then written in one commit, so a stopped run simply starts again."""
    themes.propose_themes(_survey_of(job), now=job.created_at, progress=progress)


def _tag_themes(job: Job, progress: JobProgress) -> None:
    """Every response of the survey tagged with the accepted themes its comments mention, in batches that
    each commit with the job's position (a stopped run goes on after the last one)."""
    survey = _survey_of(job)
    outcome = theme_tags.tag_survey(survey.id, now=max(job.created_at, utcnow()), progress=progress)
    progress.finish(outcome)
    db.session.commit()


RUNNERS: dict[str, Callable[[Job, JobProgress], None]] = {"response_import": _import_responses,
                                                          "responses_xlsx": _export_responses,
                                                          "campaign_launch": _launch_campaign,
                                                          "theme_proposals": _propose_themes,
                                                          "theme_tagging": _tag_themes}
KIND_WORDS = {"response_import": "Import of responses{name} into {survey}",
              "responses_xlsx": "Excel export of responses from {survey}",
              "campaign_launch": "Sending {survey}",
              "theme_proposals": "Themes proposed from the comments of {survey}",
              "theme_tagging": "Comments of {survey} tagged with its themes"}
SUMMARIES: dict[str, Callable[[dict], str]] = {
    "response_import": lambda outcome: response_import.ImportOutcome.from_dict(outcome).summary(),
    "responses_xlsx": lambda outcome: f"{outcome['rows']:,} responses written".replace(",", "\u202f"),
    "campaign_launch": lambda outcome: (
        f"queued {plural(outcome['queued'], 'invitation')} of {outcome['matched']} matched "
        f"({outcome['skipped_cap']} skipped by the frequency cap, {outcome['skipped_unsubscribed']} unsubscribed)"),
    "theme_proposals": lambda outcome: (
        f"{plural(outcome['proposals'], 'theme')} proposed from {plural(outcome['comments'], 'comment')}"
        + (f" ({outcome['already_decided']} decided before, left out)" if outcome["already_decided"] else "")),
    "theme_tagging": lambda outcome: (
        f"{plural(outcome['responses'], 'response')} read: {plural(outcome['added'], 'tag')} added, "
        f"{outcome['removed']} taken off")}


def visible(*, user: User | None = None, token: ApiToken | None = None):
    """The jobs someone may follow: an admin without a data scope sees every job, a user the jobs they
    started, an API token those it started."""
    if token is not None:
        return select(Job).where(Job.api_token_id == token.id)
    if user is not None and user.role == "admin" and not user.scope:
        return select(Job)
    return select(Job).where(Job.owner_id == (user.id if user is not None else None))
