from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of

if TYPE_CHECKING:
    from survey.models.surveys import Survey
    from survey.models.users import User


class JobState(StrEnum):
    QUEUED = "queued"  # waiting for a dispatcher (again, after one died holding it)
    RUNNING = "running"  # claimed by a dispatcher until claimed_until
    DONE = "done"  # finished: `outcome` says what it did, the result file is ready
    REFUSED = "refused"  # the input was wrong and nothing was changed: `outcome` lists every problem
    FAILED = "failed"  # an unexpected error, every attempt: `error` says which


FINISHED = (JobState.DONE, JobState.REFUSED, JobState.FAILED)


class Job(Model):
    """Long work done by `flask dispatch` instead of inside a web request: importing responses or an
    archive, launching a campaign, writing a large export.

    A job is claimed like an outbox row (SKIP LOCKED and a lease that a live dispatcher renews while it
    works), reports progress as `done` of `total` units (rows), and ends with `outcome`: counts and, for a
    refused input, the problems (row, column, message). Its input and result files are JobFile chunks.
    Whoever started it owns it (a user, an API token, or neither from the command line)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_id", "state", "id"), one_of("state", JobState))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # response_import | …: survey.background.jobs.KINDS
    state: Mapped[str] = mapped_column(String(12), default=JobState.QUEUED)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(100))  # for the audit log: "user:3", "api:crm", "cli"
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # what the kind needs besides its input file
    input_name: Mapped[str | None] = mapped_column(String(255))  # the uploaded file's name, as shown
    phase: Mapped[str] = mapped_column(String(40), default="")  # what it is doing now, in words: "checking"
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    outcome: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    result_name: Mapped[str | None] = mapped_column(String(255))
    result_type: Mapped[str | None] = mapped_column(String(120))
    result_size: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The last time its owner had its page open (the page refreshes itself): a job that ends while nobody
    # watches is announced by email.
    watched_at: Mapped[datetime | None]

    survey: Mapped[Survey | None] = relationship()
    owner: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class JobFile(Model):
    """A job's input or result file in chunks of at most CHUNK bytes, stored in the database so any
    dispatcher (on any machine) can read the input and any web process can serve the result, and neither
    is ever held whole in memory."""

    __tablename__ = "job_files"

    CHUNK = 1 << 20

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(8), primary_key=True)  # input | result
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
