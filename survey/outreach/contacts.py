"""Contacts: importing them from CSV, what a manager sees about one, and erasing one on request.

Import is a pure parse (every problem named by line) followed by one bulk upsert in one transaction:
no ORM object per row, so 100 000 rows import in seconds (bench/contact_import.py).
"""
from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, NamedTuple

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from survey import webhooks
from survey.accounts import scopes
from survey.addresses import InvalidAddress, normalise_email
from survey.extensions import db
from survey.models import (
    Answer,
    CaseNote,
    ChangeEntry,
    ChangeQuote,
    Complaint,
    Contact,
    FollowUpCase,
    Invitation,
    OutboxMessage,
    Question,
    Response,
    ResponseDraft,
    ResponseRevision,
    Survey,
    SurveyVersion,
    TriggerEvent,
    audit,
)
from survey.models.outreach import OutboxStatus, RenderedEmail
from survey.outreach import erasures
from survey.results import rollups
from survey.results.rollups import segment_names
from survey.tokens import new_token

MAX_COLUMNS = 200
EMAIL_LIMIT = 320  # the column's length; validate_email refuses anything over 254 anyway
NAME_LIMIT = 200
ATTRIBUTE_NAME_LIMIT = 64
ATTRIBUTE_VALUE_LIMIT = 200
FEW_ROWS = 1000  # up to this many rows, an upsert looks up only their addresses (an IN list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_erased: int = 0  # rows for people who were erased on request (survey.outreach.erasures); never named
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason); header = line 1
    file_error: str | None = None  # the whole file was refused: nothing was imported

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    def summary(self) -> str:
        if self.file_error:
            return f"nothing imported: {self.file_error}"
        erased = f", {self.skipped_erased} skipped (erased on request)" if self.skipped_erased else ""
        rejected = f", {len(self.errors)} rows rejected" if self.errors else ""
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}{erased}{rejected}"


class ParsedRow(NamedTuple):  # a tuple, not a dataclass: 100 000 of them are made per large import
    line: int
    email: str
    name: str | None
    attributes: dict[str, str]


class FileRefused(ValueError):
    """The whole file is refused (nothing imported); the message says what and where."""


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise FileRefused(f"line {line} is not UTF-8 text (byte {column} of the line, {error.start + 1} of the "
                          "file); save the file as CSV UTF-8") from None
    # PostgreSQL cannot store NUL in text, and a CSV never contains one: this is a binary file renamed.
    if (nul := text.find("\x00")) >= 0:
        raise FileRefused(f"line {text.count(chr(10), 0, nul) + 1} contains a NUL character: this is not a "
                          "CSV text file (a spreadsheet saved as .xlsx?); save it as CSV UTF-8")
    return text


def attribute_name(text: str) -> str:
    """An attribute's name as stored: lower case, spaces as "_", so that "Location" and "Customer since" are
    the segment settings' location and customer_since, however a file or an API caller capitalised them."""
    return "_".join(text.strip().lower().split())


def named_attributes(raw: dict[str, str]) -> dict[str, str]:
    """Attributes given by name (an API body): names as stored, blank values left out. Raises ValueError
    naming two keys that are one attribute."""
    named: dict[str, str] = {}
    given: dict[str, str] = {}
    for key, value in raw.items():
        name = attribute_name(key)
        if not name:
            raise ValueError(f"{key!r} is not an attribute name")
        if name in given:
            raise ValueError(f"{given[name]!r} and {key!r} are the same attribute, {name}")
        given[name] = key
        if value.strip():
            named[name] = value.strip()
    return named


def _header(names: list[str]) -> tuple[int, int | None, list[tuple[int, str]]]:
    """(email column, name column or None, [(column, attribute name)])."""
    if len(names) > MAX_COLUMNS:
        raise FileRefused(f"the header has {len(names)} columns; at most {MAX_COLUMNS} are accepted")
    # Names are normalised (attribute_name), so files capitalised differently update one attribute.
    # Attribute names come from the header, so one that is too long refuses the file, not a row.
    cleaned = [attribute_name(name) for name in names]
    seen: dict[str, int] = {}
    for number, name in enumerate(cleaned, start=1):
        if not name:
            raise FileRefused(f"column {number} of the header has no name")
        if len(name) > ATTRIBUTE_NAME_LIMIT:
            raise FileRefused(f"column {number} ({name[:20]}…) is longer than {ATTRIBUTE_NAME_LIMIT} characters")
        if name in seen:
            raise FileRefused(f"the column {name!r} appears twice (columns {seen[name]} and {number})")
        seen[name] = number
    if "email" not in seen:
        raise FileRefused("the header has no 'email' column")
    email = seen["email"] - 1
    name_column = seen["name"] - 1 if "name" in seen else None
    attributes = [(i, name) for i, name in enumerate(cleaned) if i not in (email, name_column)]
    return email, name_column, attributes


def _header_row(reader: Iterator[list[str]]) -> list[str]:
    """The file's first row, which must be the header."""
    header = next(reader, None)
    if header is None:
        raise FileRefused("the file is empty; the first line must be a header with an 'email' column")
    if not any(cell.strip() for cell in header):
        raise FileRefused("line 1 is empty; it must be the header, with an 'email' column")
    return header


def parse_contacts(data: bytes) -> tuple[list[ParsedRow], list[tuple[int, str]]]:
    """The good rows and the rejected ones (line, reason). Raises FileRefused for a file-level problem."""
    reader = csv.reader(io.StringIO(_text(data), newline=""), strict=True)
    try:
        header = _header_row(reader)
        email_at, name_at, attribute_columns = _header(header)
        rows: list[ParsedRow] = []
        errors: list[tuple[int, str]] = []
        first_line: dict[str, int] = {}
        width = len(header)
        line = reader.line_num
        for cells in reader:
            # A cell may hold line breaks (quoted), so a row starts on the line after the previous row ended.
            start, line = line + 1, reader.line_num
            if not "".join(cells).strip():
                continue  # blank lines (often at the end of a spreadsheet export) are not rows
            if len(cells) != width:
                errors.append((start, f"expected {width} cells, found {len(cells)}"))
                continue
            # The cheap checks first: validate_email is most of the import's time (bench/contact_import.py).
            raw_email = cells[email_at]
            if len(raw_email) > EMAIL_LIMIT:  # not echoed: the report would carry the whole cell
                errors.append((start, f"the email is longer than {EMAIL_LIMIT} characters"))
                continue
            # One line: a name goes into email headers, where a line break could add a header.
            name = " ".join(cells[name_at].split()) if name_at is not None else ""
            if len(name) > NAME_LIMIT:
                errors.append((start, f"the name is longer than {NAME_LIMIT} characters"))
                continue
            attributes = {column: value for i, column in attribute_columns if (value := cells[i].strip())}
            too_long = next((c for c, value in attributes.items() if len(value) > ATTRIBUTE_VALUE_LIMIT), None)
            if too_long:
                errors.append((start, f"{too_long} is longer than {ATTRIBUTE_VALUE_LIMIT} characters"))
                continue
            try:
                email = normalise_email(raw_email)
            except InvalidAddress as error:
                errors.append((start, str(error)))
                continue
            if email in first_line:
                errors.append((start, f"{email} already appears on line {first_line[email]}"))
                continue
            first_line[email] = start
            rows.append(ParsedRow(start, email, name or None, attributes))
    except csv.Error as error:
        raise FileRefused(f"line {reader.line_num} is not valid CSV: {error}") from None
    return rows, errors


def import_contacts(stream: BinaryIO, *, now: datetime, actor: str = "cli",
                    actor_id: int | None = None) -> ImportReport:
    """Upsert every valid row (matched case-insensitively on email); report the others by line.

    A bad row is never partly written; a refused file writes nothing. The good rows go in one
    transaction: existing contacts get the file's name (when the cell is not empty) and its attributes
    merged over theirs (an empty cell leaves the attribute as it was); new contacts are created.
    `actor` defaults to "cli" because survey/cli/commands.py calls without one.
    """
    report = ImportReport()
    try:
        rows, report.errors = parse_contacts(stream.read())
    except FileRefused as error:
        report.file_error = str(error)
        return report
    return upsert_contacts(rows, report, now=now, actor=actor, actor_id=actor_id)


def upsert_contacts(rows: list[ParsedRow], report: ImportReport | None = None, *, now: datetime, actor: str,
                    actor_id: int | None = None) -> ImportReport:
    """Write parsed rows in one transaction (the CSV import and the API's bulk upsert): new contacts are
    created; existing ones get the row's name (unless None) and its attributes merged over theirs. Rows
    for people erased on request are skipped and only counted (survey.outreach.erasures)."""
    report = report or ImportReport()
    try:
        if erased := erasures.erased_among(row.email for row in rows):
            rows = [row for row in rows if row.email not in erased]
        report.skipped_erased = len(erased)
        new, changed, report.unchanged = _upsert(rows, now)
        report.created, report.updated = len(new), len(changed)
        audit.record("contacts.imported", "contacts", now=now, actor=actor, actor_id=actor_id,
                     created=report.created, updated=report.updated, unchanged=report.unchanged,
                     skipped_erased=report.skipped_erased, rejected=len(report.errors))
        db.session.commit()
    except IntegrityError:
        # Another import (or an API event) created one of these addresses after we read the existing
        # ones: nothing of this file was written, and running it again will match them.
        db.session.rollback()
        report.created = report.updated = report.unchanged = report.skipped_erased = 0
        report.file_error = ("some of these contacts were added by someone else while the file was being "
                             "imported; nothing was imported, import the file again")
    except BaseException:
        db.session.rollback()
        raise
    return report


def _upsert(rows: list[ParsedRow], now: datetime) -> tuple[list[dict], list[dict], int]:
    """Write the parsed rows (not committed); returns (new rows, changed rows, how many unchanged)."""
    # One query rather than one per row (100 000 lookups would dominate): for a large file every contact,
    # for a few rows (an API call) only theirs, so a small upsert does not read the whole table.
    query = select(Contact.id, Contact.email, Contact.name, Contact.attributes)
    if len(rows) <= FEW_ROWS:
        query = query.where(Contact.email.in_([row.email for row in rows]))
    existing = {email: (contact_id, name, attributes) for contact_id, email, name, attributes in
                db.session.execute(query)}
    new, changed, unchanged = [], [], 0
    for row in rows:
        if row.email not in existing:
            # updated_at stays empty, as for contacts created any other way (survey.outreach.invitations.contact_for).
            new.append({"email": row.email, "name": row.name or "", "attributes": row.attributes, "created_at": now})
            continue
        contact_id, name, attributes = existing[row.email]
        merged = {**(attributes or {}), **row.attributes}
        new_name = row.name if row.name is not None else name
        if merged == (attributes or {}) and new_name == name:
            unchanged += 1
        else:
            changed.append({"contact_id": contact_id, "name": new_name, "attributes": merged, "updated_at": now})
    # Core statements (executemany), not the ORM's bulk paths (insert(Contact) / update(Contact) with
    # dicts): 100 000 inserts took 2.0–2.7 s against 3.5–3.8 s on SQLite here; neither makes ORM objects.
    table = Contact.__table__
    if new:
        db.session.execute(table.insert(), new)
    if changed:
        db.session.execute(table.update().where(table.c.id == bindparam("contact_id")).values(
            name=bindparam("name"), attributes=bindparam("attributes"), updated_at=bindparam("updated_at")),
            changed)
    return new, changed, unchanged


# --- one contact ----------------------------------------------------------------------------------------

def find_contacts(query: str, *, page: int, per_page: int = 50) -> Pagination:
    """One page of contacts by email, matching `query` in the email or name, with the count of every match.
    A page past the last is empty, not a 404 (error_out=False): the count still shows what there is."""
    statement = select(Contact)
    if query:
        # The text is lowered here too, as icontains lowers both sides in SQL: SQLite's lower() folds only
        # ASCII, so "É" would not find "é" otherwise.
        text = query.lower()
        statement = statement.where(or_(Contact.email.icontains(text, autoescape=True),
                                        Contact.name.icontains(text, autoescape=True)))
    return db.paginate(statement.order_by(Contact.email), page=page, per_page=per_page, error_out=False)


@dataclass(frozen=True)
class ScoredAnswer:
    key: str
    question: str
    label: str  # "4/5 Satisfied", "NPS 9"


@dataclass(frozen=True)
class ResponseSummary:
    response: Response
    survey_title: str
    scores: list[ScoredAnswer]


@dataclass(frozen=True)
class ScorePoint:
    when: datetime
    survey_title: str
    label: str


@dataclass(frozen=True)
class ScoreSeries:
    """One rating or NPS question's answers by this contact, oldest first (the "score over time")."""

    question: str
    points: list[ScorePoint]


@dataclass(frozen=True)
class Profile:
    contact: Contact
    invitations: list[Invitation]
    responses: list[ResponseSummary]
    series: list[ScoreSeries]


def _scores(response: Response) -> Iterator[ScoredAnswer]:
    questions = {q.key: q for q in response.version.questions}
    for answer in response.answers:
        question = questions.get(answer.question_key)
        if question is None or answer.value_int is None:
            continue
        if question.type == "rating":
            points = len(question.options)
            label = question.options[answer.value_int - 1] if 1 <= answer.value_int <= points else ""
            yield ScoredAnswer(question.key, question.text, f"{answer.value_int}/{points} {label}".rstrip())
        elif question.type == "nps":
            yield ScoredAnswer(question.key, question.text, f"NPS {answer.value_int}")


def _series(summaries: list[ResponseSummary]) -> list[ScoreSeries]:
    # Keys, not question texts, line answers up: a key keeps its meaning across versions (design.md).
    by_key: dict[tuple[int, str], ScoreSeries] = {}
    for summary in summaries:
        for score in summary.scores:
            key = (summary.response.survey_id, score.key)
            if key not in by_key:
                by_key[key] = ScoreSeries(score.question, [])
            by_key[key].points.append(ScorePoint(summary.response.submitted_at, summary.survey_title, score.label))
    return list(by_key.values())


def contact_profile(contact_id: int) -> Profile | None:
    """What to know before calling a customer: attributes, every invitation, every response and score."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        return None
    invitations = db.session.scalars(select(Invitation).where(Invitation.contact_id == contact_id)
                                     .order_by(Invitation.created_at, Invitation.id)).all()
    responses = db.session.scalars(select(Response).where(Response.contact_id == contact_id)
                                   .order_by(Response.submitted_at, Response.id)).all()
    titles = dict(db.session.execute(select(Survey.id, Survey.slug)).all())
    summaries = [ResponseSummary(r, r.version.title or titles.get(r.survey_id, ""), list(_scores(r)))
                 for r in responses]
    return Profile(contact, list(invitations), summaries, _series(summaries))


def find_contact(email: str) -> Contact | None:
    """The contact with this address, however it is capitalised; None when the address is invalid."""
    try:
        address = normalise_email(email)
    except InvalidAddress:
        return None
    return db.session.scalar(select(Contact).where(Contact.email == address))


def _text_keys(survey_id: int) -> set[str]:
    # Every version's text questions, not only the response's: an older revision may hold the answer
    # to a text question that a later version removed. A key never changes type across versions.
    return set(db.session.scalars(select(Question.key).join(SurveyVersion, Question.version_id == SurveyVersion.id)
                                  .where(SurveyVersion.survey_id == survey_id, Question.type == "text")))


def erase_contact(contact: Contact, *, actor: str, actor_id: int | None, now: datetime) -> int:
    """Erase a contact's personal data on request; returns how many responses were anonymised.

    Deleted: the contact row, and with it (ON DELETE CASCADE, checked on SQLite and PostgreSQL by the
    tests) their change notices; their saved drafts; the answers to free-text questions, also in every
    revision, and quotes taken from them for the public changes page — free text is where people write
    names and phone numbers.

    Kept, anonymised, so that every figure stays as it was (a campaign's sent and answered counts, response
    rates on the results page and the dashboard, events received):
    - their responses, with no link to the contact and a new random respondent key, so scale, NPS and
      choice answers still count and results do not change. Of the response's attributes only the
      configured segment attributes (HEARKEN_SEGMENT_ATTRIBUTES: location, team …) stay, because results
      and trend detection break down by them; any other imported column (a phone number, a customer id)
      is removed;
    - their invitations, with no contact and a fresh token nobody was given (the old link is dead), still
      linked to the responses given on them;
    - their emails in the outbox, with no address, subject, body, headers or error (one not yet sent is
      cancelled), keeping only kind, status and times;
    - the events that invited them, without the contact and the sender's event id.

    A tombstone (survey.outreach.erasures: a keyed hash of the address) makes later imports skip them.
    The audit log records that it happened and how many responses were kept, never the email or name.
    One transaction: on any error nothing is erased. It reaches every row of theirs, whatever data scope the
    person erasing has: answers given while the contact belonged elsewhere are theirs too.
    """
    try:
        with scopes.applied(None):
            count = _erase(contact, actor=actor, actor_id=actor_id, now=now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return count


def _erase(contact: Contact, *, actor: str, actor_id: int | None, now: datetime) -> int:
    # Lock the contact (PostgreSQL; SQLite writers are serialised) so an API event cannot add an
    # invitation while we read theirs: survey.outreach.campaigns.record_event takes the same lock.
    db.session.execute(select(Contact.id).where(Contact.id == contact.id).with_for_update())
    invitation_ids = list(db.session.scalars(select(Invitation.id).where(Invitation.contact_id == contact.id)))
    # Through the invitation too: a response given on their personal link is theirs whatever else it says.
    mine = Response.contact_id == contact.id
    if invitation_ids:
        mine = or_(mine, Response.invitation_id.in_(invitation_ids))
    responses = db.session.scalars(select(Response).where(mine).order_by(Response.id)).all()
    kept = set(segment_names())
    text_keys: dict[int, set[str]] = {}
    for response in responses:
        if response.survey_id not in text_keys:
            text_keys[response.survey_id] = _text_keys(response.survey_id)
        keys = text_keys[response.survey_id]
        if keys:
            # A scored comment is counted under its sentiment (rollups.counted): it leaves the counts with it.
            scored = db.session.execute(select(Answer.question_key, Answer.sentiment).where(
                Answer.response_id == response.id, Answer.question_key.in_(keys), Answer.sentiment.is_not(None)))
            rollups.apply(response, [(key, rollups.counted(None, value)) for key, value in scored], [],
                          is_new=False, old_version_id=response.version_id)
            db.session.execute(delete(Answer).where(Answer.response_id == response.id,
                                                    Answer.question_key.in_(keys)))
            for revision in db.session.scalars(select(ResponseRevision)
                                               .where(ResponseRevision.response_id == response.id)):
                revision.answers = {k: v for k, v in (revision.answers or {}).items() if k not in keys}
        response.attributes = {k: v for k, v in (response.attributes or {}).items() if k in kept}
        response.respondent_key = f"erased:{secrets.token_hex(16)}"
        response.contact_id = None
        # invitation_id stays: the invitation is anonymised below, and "answered" counts follow this link.
    # A quote on the public /changes page is the customer's own words: redacted when taken, but redaction
    # cannot catch everything (a street, an employer), and the answer it came from is gone. Its link to the
    # change stays (it holds no personal data and still counts in "raised by N customers").
    if responses:
        response_ids = [r.id for r in responses]
        quoted = select(ChangeQuote.change_id).where(ChangeQuote.response_id.in_(response_ids))
        # Touch the entries so the public page's ETag changes and no cache keeps serving the quote.
        db.session.execute(update(ChangeEntry).where(ChangeEntry.id.in_(quoted)).values(updated_at=now))
        db.session.execute(delete(ChangeQuote).where(ChangeQuote.response_id.in_(response_ids)))
    # Complaints carry their words and contact details; deleting one deletes the case opened for it.
    theirs = or_(Complaint.contact_id == contact.id, Complaint.email == contact.email)
    complaint_ids = list(db.session.scalars(select(Complaint.id).where(theirs)))
    db.session.execute(delete(Complaint).where(theirs))
    # Staff notes on their other cases may name them; the cases stay (anonymised) for the team's figures.
    their_cases = select(FollowUpCase.id).where(FollowUpCase.contact_id == contact.id)
    db.session.execute(delete(CaseNote).where(CaseNote.case_id.in_(their_cases)))
    # Drafts are keyed by respondent, and an invited respondent's key is their invitation's.
    if invitation_ids:
        db.session.execute(delete(ResponseDraft).where(
            ResponseDraft.respondent_key.in_([f"invitation:{i}" for i in invitation_ids])))
    # Their emails stay as counts (sent, failed, reminders) and nothing else: any queued to the address
    # without the contact too. The rendered bytes (name and address in base64 bodies) go; unsent ones are
    # cancelled, so the dispatcher never claims them.
    theirs = or_(OutboxMessage.contact_id == contact.id, OutboxMessage.recipient == contact.email,
                 OutboxMessage.recipient.endswith(f"<{contact.email}>", autoescape=True))
    db.session.execute(delete(RenderedEmail).where(RenderedEmail.outbox_id.in_(
        select(OutboxMessage.id).where(theirs))))
    db.session.execute(update(OutboxMessage)
                       .where(theirs, OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
                       .values(status=OutboxStatus.CANCELLED, claimed_until=None))
    db.session.execute(update(OutboxMessage).where(theirs).values(
        recipient="", subject="", text_body="", html_body=None, headers={}, images=None, last_error=None,
        contact_id=None))
    # Their invitations stay for the campaign's figures, with no contact and a token nobody was given.
    for invitation in db.session.scalars(select(Invitation).where(Invitation.contact_id == contact.id)):
        invitation.contact = None
        invitation.token = new_token()
    # The events that invited them count in the sending page's figures; the sender's id for an event may
    # name them in the sender's system.
    db.session.execute(update(TriggerEvent).where(TriggerEvent.contact_id == contact.id)
                       .values(contact_id=None, event_key=None))
    # Webhook bodies not yet delivered (or kept as history) carry the address and their answers.
    webhooks.forget_contact(contact.email, complaint_ids)
    erasures.remember(contact.email, now=now)
    subject, email, name = f"contact:{contact.id}", contact.email, contact.name
    db.session.delete(contact)
    db.session.flush()  # the cascades run here, inside this transaction
    audit.scrub(email, name)  # entries never name a contact; should one ever, it forgets them too
    audit.record("contact.erased", subject, now=now, actor=actor, actor_id=actor_id,
                 responses_anonymised=len(responses))
    return len(responses)
