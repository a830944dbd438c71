"""How far a piece of long work got, for whoever waits for it.

Long work (an import of half a million rows) is done in steps that each commit, so that on SQLite other
writers (customers submitting) wait at most one step for the write lock, and so that work interrupted by a
killed process can go on where it stopped. The work reports to a Progress: `tick` as it goes (cheap, called
often), `checkpoint` after each step it wrote (the step and the position are committed together, so a
resumed run knows exactly which rows are stored), and `finish` just before its last commit.

This base class reports nowhere and resumes nothing: what the work does when called directly (tests, the
benchmarks). survey.background.jobs.JobProgress records it on the job, which the job's page shows.
"""
from __future__ import annotations

from survey.extensions import db


class Progress:
    #: Units (rows) an earlier, interrupted run of the same work stored; `state` is what it had counted by
    #: then (the dict it last passed to `checkpoint`).
    resume_from: int = 0
    state: dict | None = None

    def tick(self, phase: str, done: int, total: int | None = None) -> None:
        """`done` of `total` units of `phase` ("checking", "writing"). Commits nothing of the caller's."""

    def checkpoint(self, done: int, state: dict) -> None:
        """Commit the work so far as `done` units, `state` being what a resumed run needs to count on."""
        db.session.commit()

    def finish(self, outcome: dict) -> None:
        """The work is complete; the caller commits right after, with this outcome."""


QUIET = Progress()
