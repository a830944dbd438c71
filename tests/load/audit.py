"""After the load: what the clients were told against what the database holds.

Responses: every submission a client was thanked for (303) is stored exactly once, as one revision with the
answers that were sent; each respondent has one response; nothing is stored that nobody sent; and a
response's current answers are those of its latest revision, which is the last one its respondent was
thanked for (or a later one sent but never answered, e.g. cut off by the deadline).

Emails: every queued message reached the SMTP server at least once; a message received twice carries its
one Message-ID (the outbox fixes it at queue time), so a recipient never gets two different messages.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer, OutboxMessage, Response, ResponseRevision
from tests.load.respondents import QUESTIONS, Ledger


def current_answers(rows) -> dict[str, object]:
    """Answer rows back to the values the respondent sent (as ResponseRevision.answers holds them)."""
    values: dict[str, object] = {}
    for row in sorted(rows, key=lambda row: (row.question_key, row.value_int or 0)):
        kind = QUESTIONS[row.question_key]["type"]
        if kind in ("rating", "nps"):
            values[row.question_key] = row.value_int
        elif kind == "yesno":
            values[row.question_key] = bool(row.value_int)
        elif kind == "multi":
            values.setdefault(row.question_key, []).append(row.value_text)
        else:
            values[row.question_key] = row.value_text
    return values


@dataclass
class ResponsesAudit:
    acknowledged: int = 0  # distinct submissions the clients were thanked for
    acknowledgements: int = 0  # thank-yous seen (a double click can be thanked twice for one submission)
    respondents: int = 0  # distinct respondents thanked at least once
    stored_responses: int = 0
    stored_revisions: int = 0
    missing: list[str] = field(default_factory=list)
    wrong_answers: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)

    @property
    def problems(self) -> dict[str, list[str]]:
        return {name: values[:10] for name in ("missing", "wrong_answers", "duplicates", "unknown", "inconsistent")
                if (values := getattr(self, name))}


def audit_responses(ledger: Ledger) -> ResponsesAudit:
    """Run inside an application context on the database the servers used."""
    revisions = {row.submission_key: row for row in db.session.execute(
        select(ResponseRevision.id, ResponseRevision.submission_key, ResponseRevision.response_id,
               ResponseRevision.answers))}
    responses = {row.id: row for row in db.session.execute(select(Response.id, Response.revisions_count))}
    answers = defaultdict(list)
    for row in db.session.execute(select(Answer.response_id, Answer.question_key, Answer.value_int,
                                         Answer.value_text)):
        answers[row.response_id].append(row)
    revisions_of = defaultdict(list)
    for revision in revisions.values():
        revisions_of[revision.response_id].append(revision)

    audit = ResponsesAudit(acknowledged=len(ledger.acknowledged_keys), respondents=len(ledger.acknowledged),
                           acknowledgements=sum(len(acks) for acks in ledger.acknowledged.values()),
                           stored_responses=len(responses), stored_revisions=len(revisions))
    owner = {}  # response id → the respondent whose submissions it holds
    for respondent, keys in ledger.attempted.items():
        stored_in = {revisions[key].response_id for key in keys if key in revisions}
        if len(stored_in) > 1:
            audit.duplicates.append(f"{respondent}: responses {sorted(stored_in)}")
        for response_id in stored_in:
            if owner.setdefault(response_id, respondent) != respondent:
                audit.duplicates.append(f"response {response_id} holds answers of {owner[response_id]} and "
                                        f"{respondent}")
    for respondent, acks in ledger.acknowledged.items():
        for key, sent in acks:
            if key not in revisions:
                audit.missing.append(f"{respondent}: submission {key}")
            elif revisions[key].answers != sent:
                audit.wrong_answers.append(f"{respondent}: {key} stored {revisions[key].answers}, sent {sent}")
    attempted = {key for keys in ledger.attempted.values() for key in keys}
    audit.unknown = [f"revision {key}" for key in revisions if key not in attempted]
    audit.unknown += [f"response {response_id} (no revision)" for response_id in responses
                      if response_id not in revisions_of]

    for response_id, response in responses.items():
        history = sorted(revisions_of.get(response_id, []), key=lambda revision: revision.id)
        if not history:
            continue
        latest = history[-1]
        if response.revisions_count != len(history):
            audit.inconsistent.append(f"response {response_id}: revisions_count {response.revisions_count}, "
                                      f"{len(history)} revisions")
        if current_answers(answers[response_id]) != latest.answers:
            audit.inconsistent.append(f"response {response_id}: current answers are not its latest revision's")
        respondent = owner.get(response_id)
        acks = ledger.acknowledged.get(respondent, [])
        if acks and latest.submission_key != acks[-1][0] and latest.submission_key in attempted:
            # Only a submission sent after the last thank-you (and never answered) may be newer.
            sent = ledger.attempted[respondent]
            if sent.index(latest.submission_key) < sent.index(acks[-1][0]):
                audit.inconsistent.append(f"{respondent}: latest stored {latest.submission_key} is older than "
                                          f"the last one thanked for ({acks[-1][0]})")
    return audit


@dataclass
class EmailAudit:
    queued: int
    received: int
    distinct_received: int
    duplicates: int  # messages received more than once, counted once per extra copy
    never_received: list[str]
    unknown: list[str]  # Message-IDs the outbox never queued
    mixed: list[str]  # recipients who got two different messages
    not_sent: list[str]  # outbox rows not recorded as sent

    @property
    def problems(self) -> dict[str, list[str]]:
        return {name: values[:10] for name in ("never_received", "unknown", "mixed", "not_sent")
                if (values := getattr(self, name))}


def audit_emails(received_raw: list[bytes]) -> EmailAudit:
    """Run inside an application context: the outbox against what the SMTP server received."""
    rows = db.session.execute(select(OutboxMessage.message_id, OutboxMessage.recipient, OutboxMessage.status)).all()
    queued = {row.message_id: row for row in rows}
    messages = [message_from_bytes(raw, policy=default) for raw in received_raw]
    ids = Counter(str(message["Message-ID"]) for message in messages)
    by_recipient = defaultdict(set)
    for message in messages:
        by_recipient[str(message["To"])].add(str(message["Message-ID"]))
    return EmailAudit(
        queued=len(queued), received=len(messages), distinct_received=len(ids),
        duplicates=sum(count - 1 for count in ids.values()),
        never_received=[message_id for message_id in queued if message_id not in ids],
        unknown=[message_id for message_id in ids if message_id not in queued],
        mixed=[f"{recipient}: {sorted(message_ids)}" for recipient, message_ids in by_recipient.items()
               if len(message_ids) > 1],
        not_sent=[f"{row.recipient}: {row.status}" for row in rows if row.status != "sent"])
