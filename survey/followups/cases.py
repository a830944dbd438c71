"""Closing the loop: every unhappy customer, every "you may contact me" and every complaint becomes a
follow-up case with an owner and a due time from the response-time standard.

Cases open in the same transaction as the response or complaint that causes them, so none is missed.
Hearken never writes to the customer on the staff's behalf: the case page gives the phone number, a call
script and a mail link, and the person writes.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from analysis.nps import DETRACTOR_MAX
from survey import mail, webhooks
from survey.addresses import InvalidAddress, normalise_email
from survey.database import Page, keyset
from survey.extensions import db
from survey.followups import compliance, teams
from survey.links import external_url
from survey.models import CaseNote, Complaint, Contact, FollowUpCase, Question, Response, RootCause, Team, User
from survey.models.followups import CASE_STATUSES, CaseStatus
from survey.webhooks import chat

OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.CONTACTED)
COMPLAINT_KINDS = ("complaint", "suggestion")
COMPLAINTS_PER_SENDER = 5  # per COMPLAINT_WINDOW, counted in the database so every process shares it
COMPLAINT_WINDOW = timedelta(minutes=10)


class CaseError(ValueError):
    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class TooManyComplaints(Exception):
    pass


def due_after(start: datetime, business_days: int, timezone: str = "UTC") -> datetime:
    """`business_days` working days (Monday to Friday where the organisation is, in `timezone`) after
    `start`, at the same local time of day; naive UTC in and out. Counted in UTC, a case opened on Friday
    afternoon in California (Saturday in UTC) fell due on Sunday."""
    zone = ZoneInfo(timezone)
    due = start.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)  # the local wall clock
    remaining = business_days
    while remaining > 0:
        due += timedelta(days=1)
        if due.weekday() < 5:
            remaining -= 1
    return due.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _placed(attributes: dict | None, reason: str, now: datetime) -> dict[str, object]:
    """The team, priority and due times of a new case (its team's standard: survey.followups.teams)."""
    found = teams.deadlines(attributes, reason, now)
    return {"team": found.team_name, "team_id": found.team_id, "priority": found.priority,
            "due_at": found.first_contact, "resolve_due_at": found.resolve}


def follow_up_threshold(question: Question) -> int | None:
    """The highest answer that opens a case: the question's own threshold, else the bottom two boxes of a
    rating or NPS 0–6 (detractors); None for questions without scores."""
    if question.type not in ("rating", "nps"):
        return None
    if question.follow_up_threshold is not None:
        return question.follow_up_threshold
    return DETRACTOR_MAX if question.type == "nps" else 2


def low_score(questions: Sequence[Question], values: dict[str, object]) -> str | None:
    """Why these answers need a call, or None: a score at or below its question's threshold."""
    for question in questions:
        value, threshold = values.get(question.key), follow_up_threshold(question)
        if threshold is None or not isinstance(value, int) or isinstance(value, bool) or value > threshold:
            continue
        if question.type == "rating":
            return f"{question.options[value - 1]} ({value}/{len(question.options)}): {question.text}"[:300]
        return f"NPS {value}: {question.text}"[:300]
    return None


def open_for_response(response: Response, questions: Sequence[Question], values: dict[str, object], *,
                      now: datetime, is_new: bool = False, every_response: bool = False,
                      endpoints: webhooks.Subscribers | None = None) -> int | None:
    """Open a case (once per response) for a low score or a request to be contacted, or for any response
    when `every_response` (a complaint form, definitions.FOLLOW_UP_RULES): its id, or None. Called inside the
    transaction that stores the response. `is_new`: the response was created in this transaction, so no case
    can exist for it yet (not looked for). `endpoints`: `webhooks.subscribers()` if the caller read them."""
    if response.id is None:
        return None
    if not is_new and db.session.scalar(select(FollowUpCase.id).where(FollowUpCase.response_id == response.id)):
        return None
    opened = _why_open(response, questions, values, every_response=every_response)
    if opened is None:
        return None
    reason, summary = opened
    row = {"reason": reason, "response_id": response.id, "contact_id": response.contact_id, "summary": summary,
           "status": CaseStatus.NEW, "opened_at": now, **_placed(response.attributes, reason, now)}
    # One Core statement on the submit path, as the response itself is written: a case added to the session
    # cost its unit of work at commit (a quarter of a submission that opens one). Nothing in the request
    # reads it back; the webhook's payload is built from a plain instance.
    case_id = db.session.connection().execute(_OPEN_CASE, row).scalar_one()
    webhooks.case_updated(FollowUpCase(id=case_id, **row), "opened", now=now, endpoints=endpoints)
    if reason == "complaint":
        _post_complaint(case_id, row["team_id"], response.attributes, now)
    return case_id


_OPEN_CASE = insert(FollowUpCase.__table__).returning(FollowUpCase.__table__.c.id)


def _why_open(response: Response, questions: Sequence[Question], values: dict[str, object], *,
              every_response: bool) -> tuple[str, str] | None:
    """(reason, summary) of the case these answers open, or None."""
    reason_text = low_score(questions, values)
    if every_response:  # like the /complain form: every one is a complaint, reachable or not
        words = next((" ".join(str(values[q.key]).split()) for q in questions
                      if q.type == "text" and values.get(q.key)), "")
        return "complaint", f"Complaint: {words or reason_text or 'see the answers'}"[:300]
    if reason_text is None and not response.contact_consent:
        return None
    if reason_text is None:
        return "contact_request", "Asked to be contacted about their answers"
    if response.contact_id is None:  # nobody to call: someone reads it instead
        return "review", f"Anonymous, to review: {reason_text}"[:300]
    return "low_score", reason_text


def open_manually(response: Response, *, actor: User, now: datetime) -> FollowUpCase:
    existing = db.session.scalar(select(FollowUpCase).where(FollowUpCase.response_id == response.id))
    if existing is not None:
        return existing
    case = FollowUpCase(reason="manual", response_id=response.id, contact_id=response.contact_id,
                        summary=f"Opened by {actor.email}", status=CaseStatus.NEW, owner_id=actor.id, opened_at=now,
                        **_placed(response.attributes, "manual", now))
    db.session.add(case)
    webhooks.case_updated(case, "opened", now=now)
    db.session.commit()
    return case


# --- complaints -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplaintInput:
    kind: str
    message: str
    name: str = ""
    email: str = ""
    phone: str = ""


def sender_key(address: str) -> str:
    """A keyed hash of the sender's network address: enough to count their complaints, not to know them."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()


def complaint_problems(data: ComplaintInput) -> dict[str, str]:
    """What is wrong with a complaint as sent, by field; empty when nothing is."""
    # Imported here: invitations → responding → followups would otherwise be a cycle.
    problems = {}
    message = data.message.replace("\x00", "").strip()
    if data.kind not in COMPLAINT_KINDS:
        problems["kind"] = gettext("Choose complaint or suggestion.")
    if not message:
        problems["message"] = gettext("Please tell us what happened.")
    elif len(message) > 5000:
        problems["message"] = gettext("Please keep it under 5000 characters.")
    if data.email.strip():
        try:
            normalise_email(data.email)
        except InvalidAddress:
            problems["email"] = gettext("That email address does not look right; leave it empty if you prefer.")
    phone = data.phone.strip()
    if phone and (len(phone) > 40 or not all(c.isdigit() or c in " +-()." for c in phone)):
        problems["phone"] = gettext("Write the phone number with digits, spaces and + only.")
    if len(data.name.strip()) > 200:
        problems["name"] = gettext("Please keep your name under 200 characters.")
    return problems


def _case_of_complaint_sent_as(submission_key: str | None) -> FollowUpCase | None:
    if not submission_key:
        return None
    return db.session.scalar(select(FollowUpCase).join(Complaint, FollowUpCase.complaint_id == Complaint.id)
                             .where(Complaint.submission_key == submission_key))


def record_complaint(data: ComplaintInput, *, sender: str, now: datetime,
                     submission_key: str | None = None) -> FollowUpCase:
    """Store a complaint and open its case, exactly once per sent form (`submission_key`): the same form
    sent again, even at the same moment, answers with the case it opened the first time."""
    if (case := _case_of_complaint_sent_as(submission_key)) is not None:
        return case
    if problems := complaint_problems(data):
        raise CaseError(problems)
    message, phone = data.message.replace("\x00", "").strip(), data.phone.strip()
    email = normalise_email(data.email) if data.email.strip() else ""
    key = sender_key(sender)
    recent = db.session.execute(select(func.count(Complaint.id)).where(
        Complaint.sender_key == key, Complaint.received_at > now - COMPLAINT_WINDOW)).scalar_one()
    if recent >= COMPLAINTS_PER_SENDER:
        raise TooManyComplaints()
    contact = db.session.scalar(select(Contact).where(Contact.email == email)) if email else None
    complaint = Complaint(received_at=now, kind=data.kind, message=message, name=data.name.strip(), email=email,
                          phone=phone, contact_id=contact.id if contact else None, sender_key=key,
                          submission_key=submission_key or None)
    db.session.add(complaint)
    try:
        db.session.flush()
    except IntegrityError:  # the same form, stored by a concurrent request a moment ago
        db.session.rollback()
        if (case := _case_of_complaint_sent_as(submission_key)) is not None:
            return case
        raise
    first_line = " ".join(message.split())
    case = FollowUpCase(reason="complaint", complaint_id=complaint.id, contact_id=complaint.contact_id,
                        summary=f"{data.kind.capitalize()}: {first_line}"[:300], status=CaseStatus.NEW, opened_at=now,
                        **_placed(contact.attributes if contact else None, "complaint", now))
    db.session.add(case)
    webhooks.case_updated(case, "opened", now=now)
    db.session.flush()  # the case's id, for the link
    _post_complaint(case.id, case.team_id, contact.attributes if contact else None, now)
    db.session.commit()
    return case


def _post_complaint(case_id: int | None, team_id, attributes: dict | None, now: datetime) -> None:
    """Tell the team's channels a complaint came in. Never its words (as in staff emails: a message in Slack
    cannot be erased with the customer), only where it came from."""
    where = ", ".join(f"{name}: {value}" for name, value in sorted((attributes or {}).items())
                      if name in current_app.config["SEGMENT_ATTRIBUTES"]) or "no segment"
    chat.post("complaint", chat.Message(f"New complaint, case {case_id}", [
        "A complaint or suggestion came in (its words are on the case page).", f"Customer: {where}"],
        external_url("manage.cases.case_detail", case_id=case_id)), team_id=team_id, now=now)


# --- working a case ---------------------------------------------------------------------------------

def set_status(case: FollowUpCase, status: str, *, actor: User, now: datetime, problem_fixed: bool | None = None,
               change_id: int | None = None, note: str = "", root_cause_id: int | None = None) -> None:
    """Record progress on a case. Resolving it needs a root-cause code once the organisation has any
    (survey.followups.teams.root_causes), so the causes that recur are counted from every closed case."""
    if status not in CASE_STATUSES:
        raise CaseError({"status": "Choose new, contacted, resolved or could not reach."})
    cause = db.session.get(RootCause, root_cause_id) if root_cause_id else None
    if root_cause_id and (cause is None or not cause.active):
        raise CaseError({"root_cause": "Choose a root cause from the list."})
    if status == CaseStatus.RESOLVED and cause is None and teams.root_causes(active_only=True):
        raise CaseError({"root_cause": "Choose the root cause before resolving the case."})
    if status in (CaseStatus.CONTACTED, CaseStatus.RESOLVED, CaseStatus.UNREACHABLE) and case.first_contact_at is None:
        case.first_contact_at = now
    if status in (CaseStatus.RESOLVED, CaseStatus.UNREACHABLE):
        case.resolved_at = now
        case.problem_fixed = problem_fixed if status == CaseStatus.RESOLVED else None
        case.change_id = change_id
        case.root_cause_id = cause.id if cause else None
    else:
        case.resolved_at = None
    case.status = status
    if case.owner_id is None:
        case.owner_id = actor.id  # whoever acts on an unowned case owns it
    if note.strip():
        case.notes.append(CaseNote(author_id=actor.id, at=now, text=note.strip()[:5000]))
    webhooks.case_updated(case, "status", now=now)
    db.session.commit()


def assign(case: FollowUpCase, owner: User | None, *, now: datetime) -> None:
    case.owner_id = owner.id if owner else None
    case.reminded_at = None  # a new owner gets their own reminder
    webhooks.case_updated(case, "owner", now=now)
    db.session.commit()


def add_note(case: FollowUpCase, *, author: User, text: str, now: datetime) -> None:
    text = text.strip()
    if not text or len(text) > 5000:
        raise CaseError({"text": "A note needs 1 to 5000 characters."})
    case.notes.append(CaseNote(author_id=author.id, at=now, text=text))
    db.session.commit()


def case_for_response(response_id: int) -> FollowUpCase | None:
    return db.session.scalar(select(FollowUpCase).where(FollowUpCase.response_id == response_id))


def earlier_cases(contact_id: int | None, *, exclude_id: int | None = None) -> list[FollowUpCase]:
    """The customer's other follow-ups (for the context card)."""
    if contact_id is None:
        return []
    return list(db.session.scalars(select(FollowUpCase).where(
        FollowUpCase.contact_id == contact_id, FollowUpCase.id != (exclude_id or 0)).order_by(FollowUpCase.id)))


def is_overdue(case: FollowUpCase, now: datetime) -> bool:
    """Past its time to first contact while new, or past its time to resolve while open."""
    return compliance.is_late(case, now)


def list_cases(*, status: str, owner_id: int | None, now: datetime, team_id: int | None = None,
               limit: int = 500) -> list[FollowUpCase]:
    query = select(FollowUpCase)
    if team_id is not None:
        # Cases from before teams, or of a deleted team, are the default team's.
        default = db.session.scalar(select(Team.id).where(Team.is_default.is_(True)))
        query = query.where(FollowUpCase.team_id.is_(None) | (FollowUpCase.team_id == team_id)
                            if team_id == default else FollowUpCase.team_id == team_id)
    if status == "open":
        query = query.where(FollowUpCase.status.in_(OPEN_STATUSES))
    elif status in CASE_STATUSES:
        query = query.where(FollowUpCase.status == status)
    if owner_id is not None:
        query = query.where(FollowUpCase.owner_id == owner_id)
    return list(db.session.scalars(query.order_by(FollowUpCase.due_at).limit(limit)))


def cases_after(*, after: int, limit: int, status: str | None = None) -> Page:
    """A page of cases by id (the API's list), in one status or all."""
    query = select(FollowUpCase) if status is None else select(FollowUpCase).where(FollowUpCase.status == status)
    return keyset(query, FollowUpCase.id, after=after, limit=limit)


def staff_summary(case: FollowUpCase) -> str:
    """What an email to staff may say of a case. A complaint's summary is the customer's own words, which
    erasing them must remove everywhere; an email, once sent, cannot be: the case page shows them instead."""
    if case.reason == "complaint":
        return "A complaint or suggestion (its words are on the case page)"
    return case.summary


def remind_overdue(*, now: datetime) -> int:
    """Email each owner of an overdue case once (again only after reassignment)."""
    cases = db.session.scalars(select(FollowUpCase).where(
        FollowUpCase.status == CaseStatus.NEW, FollowUpCase.due_at < now, FollowUpCase.reminded_at.is_(None),
        FollowUpCase.owner_id.is_not(None)).with_for_update(skip_locked=True)).all()
    for case in cases:
        context = dict(case=case, summary=staff_summary(case),
                       url=external_url("manage.cases.case_detail", case_id=case.id),
                       organisation=current_app.config["ORGANISATION_NAME"])
        rendered = mail.Rendered(f"Overdue: follow up case {case.id} — {context['summary']}"[:300],
                                 render_template("email/case_overdue.txt", **context), None, {})
        mail.queue(rendered, kind="case_overdue", recipient=case.owner.email, now=now)
        case.reminded_at = now
    db.session.commit()
    return len(cases)


def _late_phrase(case: FollowUpCase, now: datetime) -> str:
    if case.first_contact_at is None and case.due_at < now:
        return f"no first contact; it was due {case.due_at.strftime('%Y-%m-%d %H:%M')} UTC"
    due = case.resolve_due_at or case.due_at
    return f"not resolved; it was due {due.strftime('%Y-%m-%d %H:%M')} UTC"


def escalate_overdue(*, now: datetime) -> int:
    """Tell each overdue case's team lead once (an email) and post it to the team's channels, recording it
    on the case (`escalated_at`) so another pass or another dispatcher does not tell them again. Overdue is
    judged on due times counted in the team's working hours when the case opened."""
    query = select(FollowUpCase).where(
        FollowUpCase.status.in_(OPEN_STATUSES), FollowUpCase.escalated_at.is_(None),
        or_(and_(FollowUpCase.first_contact_at.is_(None), FollowUpCase.due_at < now),
            FollowUpCase.resolve_due_at < now)).order_by(FollowUpCase.id).limit(500)
    cases = db.session.scalars(query.with_for_update(skip_locked=True)).all()
    default = teams.team_for({})
    organisation = current_app.config["ORGANISATION_NAME"]
    for case in cases:
        team = case.team_row or default
        team_name = team.name if team else (case.team or teams.DEFAULT_NAME)
        url = external_url("manage.cases.case_detail", case_id=case.id)
        summary, phrase = staff_summary(case), _late_phrase(case, now)
        if team is not None and team.lead is not None:
            context = dict(case=case, summary=summary, url=url, team=team_name, late=phrase, organisation=organisation)
            rendered = mail.Rendered(f"Overdue in {team_name}: case {case.id} — {summary}"[:300],
                                     render_template("email/case_escalated.txt", **context), None, {})
            mail.queue(rendered, kind="case_escalated", recipient=team.lead.email, now=now)
        chat.post("overdue", chat.Message(f"Overdue follow-up case {case.id} ({team_name})",
                                          [summary, f"{case.priority.capitalize()} priority, {phrase}.",
                                           f"Owner: {case.owner.email if case.owner else 'nobody yet'}"], url),
                  team_id=team.id if team else None, now=now)
        case.escalated_at = now
    db.session.commit()
    return len(cases)
