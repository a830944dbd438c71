"""Jobs the manager started (imports, …): each one's page with its progress, then its outcome or every
problem; and the list of recent ones. A job runs in `flask dispatch` (survey.background.jobs).

Analysts and above, who start them (exports; editors also imports); each sees the jobs they started,
an admin sees all. The page refreshes itself without JavaScript (a meta refresh inside <noscript>) and,
with it, follows the job's JSON every second (static/js/job.js, which reloads the page when the job ends).
Either way its owner's requests mark the job as watched, so its end is not announced by email too.
"""
from __future__ import annotations

from flask import Response, abort, jsonify, render_template, stream_with_context
from flask_login import current_user
from sqlalchemy import update

from survey.background import jobs
from survey.clock import utcnow
from survey.database import write_without_waiting
from survey.extensions import db
from survey.models import Job, JobState
from survey.views.manage.blueprint import section

bp = section("jobs", __name__, read="analyst", scoped="all")

LISTED = 50


def _visible_job(job_id: int) -> Job:
    """The job, if the current user may follow it; an unfinished one of theirs is marked as watched."""
    job = db.session.scalar(jobs.visible(user=current_user).where(Job.id == job_id))
    if job is None:
        abort(404)  # someone else's job is not ours to know about either
    if not job.finished and job.owner_id == current_user.id:
        # Bookkeeping, not a change the viewer asked for: never waits for, or fails, the page.
        write_without_waiting(update(Job).where(Job.id == job.id).values(watched_at=utcnow()))
    return job


@bp.route("/jobs")
def index():
    recent = db.session.scalars(jobs.visible(user=current_user).order_by(Job.id.desc()).limit(LISTED)).all()
    return render_template("manage/jobs/index.html", jobs=recent, describe=jobs.describe,
                           result_line=jobs.result_line)


@bp.route("/jobs/<int:job_id>")
def job_page(job_id: int):
    job = _visible_job(job_id)
    return render_template("manage/jobs/job.html", job=job, what=jobs.describe(job),
                           result=jobs.result_line(job), percent=jobs.percent(job),
                           phase_words=jobs.phase_line(job))


@bp.route("/jobs/<int:job_id>/result")
def job_result(job_id: int):
    """The file a job made (an export), streamed from the database chunk by chunk."""
    job = _visible_job(job_id)
    if job.state != JobState.DONE or not job.result_name or job.result_size is None:
        abort(404)
    return Response(stream_with_context(jobs.result_chunks(job.id)), mimetype=job.result_type,
                    headers={"Content-Disposition": f'attachment; filename="{job.result_name}"',
                             "Content-Length": str(job.result_size), "Cache-Control": "no-store"})


@bp.route("/jobs/<int:job_id>/progress")
def job_progress(job_id: int):
    """The job as JSON, for the page's script: the same as the API's job resource."""
    return jsonify(jobs.as_json(_visible_job(job_id)))
