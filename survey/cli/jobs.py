"""Running a job from the command line: queued like one from a page (so it shows in the manager's Jobs
list and a dispatcher can take it over), then run here at once with a progress bar on a terminal; nothing
but the outcome when the output is piped. Killed mid-way, the job waits for its lease to run out and a
dispatcher resumes it."""
from __future__ import annotations

import sys
import time
from typing import Any

import click

from survey.background import jobs
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Job
from survey.progress import Progress
from survey.transfer.response_import import RowProblem

PHASE_LABELS = {"checking": "Checking", "writing": "Storing"}


class TerminalProgress(Progress):
    """A click progress bar per phase, on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()
        self.bar: Any = None  # click's ProgressBar, entered by hand: one per phase
        self.phase: str | None = None
        self.total: int | None = None

    def tick(self, phase: str, done: int, total: int | None = None) -> None:
        if not self.shown:
            return
        if phase != self.phase or (total is not None and total != self.total):
            self.close()
            self.phase, self.total = phase, total or self.total
            self.bar = click.progressbar(length=self.total or 0, label=PHASE_LABELS.get(phase, phase), file=sys.stderr,
                                         show_pos=phase == "writing", show_percent=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def run_here(kind: str, data, **submitted) -> Job:
    """Queue a job and run it in this process; if a dispatcher claimed it first, wait for it to end."""
    job = jobs.submit(kind, data, now=utcnow(), **submitted)
    progress = TerminalProgress()
    try:
        if jobs.claim(now=utcnow(), job_id=job.id) is not None:
            return jobs.run(job.id, progress=progress)
        while not job.finished:
            time.sleep(1)
            db.session.refresh(job)
            progress.tick(job.phase, job.done, job.total)
        return job
    finally:
        progress.close()


def refused_or_failed(job: Job, shown_as: str) -> None:
    """Exit 1 with every problem on its own line (stderr) when the job did not end done."""
    if job.state == "refused":
        assert job.outcome is not None  # a refused job always says why
        for problem in job.outcome["problems"]:  # "row 3, column satisfaction: …", as the pages say it
            click.echo(f"{shown_as}: {RowProblem(**problem)}", err=True)
        raise click.ClickException(f"{shown_as}: {job.outcome['summary']}")
    if job.state == "failed":
        raise click.ClickException(f"{shown_as}: {jobs.result_line(job)} (job {job.id})")
