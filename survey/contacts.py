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
from typing import BinaryIO

from sqlalchemy import bindparam, delete, func, or_, select

from survey.extensions import db
from survey.invitations import InvitationError, normalise_email
from survey.models import (
    Answer,
    AuditEntry,
    Contact,
    Invitation,
    Response,
    ResponseDraft,
    ResponseRevision,
    Survey,
)

MAX_COLUMNS = 200
NAME_LIMIT = 200
ATTRIBUTE_NAME_LIMIT = 64
ATTRIBUTE_VALUE_LIMIT = 200


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason); header = line 1
    file_error: str | None = None  # the whole file was refused: nothing was imported

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    def summary(self) -> str:
        if self.file_error:
            return f"nothing imported: {self.file_error}"
        rejected = f", {len(self.errors)} rows rejected" if self.errors else ""
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}{rejected}"


@dataclass(frozen=True)
class ParsedRow:
    line: int
    email: str
    name: str | None
    attributes: dict[str, str]


class FileRefused(ValueError):
    pass


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise FileRefused(f"line {line} is not UTF-8 text (byte {error.start + 1}); save the file as "
                          "CSV UTF-8") from None


def _header(names: list[str]) -> tuple[int, int | None, list[tuple[int, str]]]:
    """(email column, name column or None, [(column, attribute name)])."""
    if len(names) > MAX_COLUMNS:
        raise FileRefused(f"the header has {len(names)} columns; at most {MAX_COLUMNS} are accepted")
    # Attribute names are matched like the segment settings: "Customer since" is customer_since.
    cleaned = ["_".join(name.strip().lower().split()) for name in names]
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


def parse_contacts(data: bytes) -> tuple[list[ParsedRow], list[tuple[int, str]]]:
    """The good rows and the rejected ones (line, reason). Raises FileRefused for a file-level problem."""
    reader = csv.reader(io.StringIO(_text(data), newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise FileRefused("the file is empty; the first line must be a header with an 'email' column")
        email_at, name_at, attribute_columns = _header(header)
        rows, errors, first_line = [], [], {}
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                errors.append((start, f"expected {len(header)} cells, found {len(cells)}"))
                continue
            try:
                email = normalise_email(cells[email_at])
            except InvitationError as error:
                errors.append((start, str(error)))
                continue
            if email in first_line:
                errors.append((start, f"{email} already appears on line {first_line[email]}"))
                continue
            name = cells[name_at].strip() if name_at is not None else None
            attributes = {column: cells[i].strip() for i, column in attribute_columns if cells[i].strip()}
            too_long = [column for column, value in attributes.items() if len(value) > ATTRIBUTE_VALUE_LIMIT]
            if name and len(name) > NAME_LIMIT:
                errors.append((start, f"the name is longer than {NAME_LIMIT} characters"))
                continue
            if too_long:
                errors.append((start, f"{too_long[0]} is longer than {ATTRIBUTE_VALUE_LIMIT} characters"))
                continue
            first_line[email] = start
            rows.append(ParsedRow(start, email, name or None, attributes))
    except csv.Error as error:
        raise FileRefused(f"line {reader.line_num} is not valid CSV: {error}") from None
    return rows, errors


def import_contacts(stream: BinaryIO, *, now: datetime) -> ImportReport:
    """Upsert every valid row (matched case-insensitively on email); report the others by line."""
    report = ImportReport()
    try:
        rows, report.errors = parse_contacts(stream.read())
    except FileRefused as error:
        report.file_error = str(error)
        return report
    existing = {email: (contact_id, name, attributes) for contact_id, email, name, attributes in
                db.session.execute(select(Contact.id, Contact.email, Contact.name, Contact.attributes))}
    new, changed = [], []
    for row in rows:
        if row.email not in existing:
            new.append({"email": row.email, "name": row.name or "", "attributes": row.attributes,
                        "created_at": now, "updated_at": now})
            continue
        contact_id, name, attributes = existing[row.email]
        merged = {**(attributes or {}), **row.attributes}
        new_name = row.name if row.name is not None else name
        if merged == (attributes or {}) and new_name == name:
            report.unchanged += 1
        else:
            changed.append({"contact_id": contact_id, "name": new_name, "attributes": merged, "updated_at": now})
    # Core statements (executemany), not the ORM's bulk paths: several times faster for 100 000 rows.
    table = Contact.__table__
    if new:
        db.session.execute(table.insert(), new)
    if changed:
        db.session.execute(table.update().where(table.c.id == bindparam("contact_id")).values(
            name=bindparam("name"), attributes=bindparam("attributes"), updated_at=bindparam("updated_at")),
            changed)
    db.session.commit()
    report.created, report.updated = len(new), len(changed)
    return report


# --- one contact ----------------------------------------------------------------------------------------

def find_contacts(query: str, *, page: int, per_page: int = 50) -> tuple[list[Contact], int]:
    statement = select(Contact)
    if query:
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Contact.email.like(pattern, escape="\\"),
                                        func.lower(Contact.name).like(pattern, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    contacts = db.session.scalars(statement.order_by(Contact.email).limit(per_page)
                                  .offset((page - 1) * per_page)).all()
    return list(contacts), total


@dataclass(frozen=True)
class ScoredAnswer:
    question: str
    label: str  # "4/5 Satisfied", "NPS 9"


@dataclass(frozen=True)
class ResponseSummary:
    response: Response
    survey_title: str
    scores: list[ScoredAnswer]


@dataclass(frozen=True)
class Profile:
    contact: Contact
    invitations: list[Invitation]
    responses: list[ResponseSummary]


def _scores(response: Response) -> Iterator[ScoredAnswer]:
    questions = {q.key: q for q in response.version.questions}
    for answer in response.answers:
        question = questions.get(answer.question_key)
        if question is None or answer.value_int is None:
            continue
        if question.type == "rating":
            label = question.options[answer.value_int - 1] if answer.value_int <= len(question.options) else ""
            yield ScoredAnswer(question.text, f"{answer.value_int}/{len(question.options)} {label}")
        elif question.type == "nps":
            yield ScoredAnswer(question.text, f"NPS {answer.value_int}")


def contact_profile(contact_id: int) -> Profile | None:
    """What to know before calling a customer: attributes, every invitation, every response and score."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        return None
    invitations = db.session.scalars(select(Invitation).where(Invitation.contact_id == contact_id)
                                     .order_by(Invitation.created_at)).all()
    responses = db.session.scalars(select(Response).where(Response.contact_id == contact_id)
                                   .order_by(Response.submitted_at)).all()
    titles = dict(db.session.execute(select(Survey.id, Survey.slug)).all())
    summaries = [ResponseSummary(r, r.version.title or titles.get(r.survey_id, ""), list(_scores(r)))
                 for r in responses]
    return Profile(contact, list(invitations), summaries)


def erase_contact(contact: Contact, *, actor: str, actor_id: int | None, now: datetime) -> int:
    """Erase a contact's personal data on request; returns how many responses were anonymised.

    The contact row goes, and with it (ON DELETE CASCADE) their invitations, queued emails and trigger
    events. Their responses stay, anonymised: no link to the contact or invitation, a new random
    respondent key, free-text answers removed (also from the revision history) — text is where people
    write names and phone numbers. Scale and choice answers and the response's segment attributes
    (location, team …) stay, so results do not change. The audit log records the erasure, never the data.
    """
    responses = db.session.scalars(select(Response).where(Response.contact_id == contact.id)).all()
    invitation_keys = [f"invitation:{i}" for i in db.session.scalars(
        select(Invitation.id).where(Invitation.contact_id == contact.id))]
    for response in responses:
        text_keys = [q.key for q in response.version.questions if q.type == "text"]
        if text_keys:
            db.session.execute(delete(Answer).where(Answer.response_id == response.id,
                                                    Answer.question_key.in_(text_keys)))
        for revision in db.session.scalars(select(ResponseRevision).where(ResponseRevision.response_id == response.id)):
            revision.answers = {k: v for k, v in revision.answers.items() if k not in text_keys}
        response.respondent_key = f"erased:{secrets.token_hex(16)}"
        response.contact_id = None
        response.invitation_id = None
    if invitation_keys:
        db.session.execute(delete(ResponseDraft).where(ResponseDraft.respondent_key.in_(invitation_keys)))
    subject = f"contact:{contact.id}"
    db.session.delete(contact)
    db.session.add(AuditEntry(at=now, actor=actor, actor_id=actor_id, action="contact.erased", subject=subject,
                              detail={"responses_anonymised": len(responses)}))
    db.session.commit()
    return len(responses)
