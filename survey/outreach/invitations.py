"""Personal survey links: a contact, an invitation, and its unguessable token."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from survey.addresses import InvalidAddress, normalise_email
from survey.authoring.piping import contact_values
from survey.extensions import db
from survey.models import Contact, Invitation, Survey
from survey.outreach import erasures
from survey.responding.submission import Respondent, form_respondent_key
from survey.tokens import new_token


class ErasedAddress(InvalidAddress):
    """The address belongs to someone erased on request (survey.outreach.erasures): no contact is made for it."""


def contact_for(email: str, *, now: datetime) -> Contact:
    """The contact with this address, created when new; raises ErasedAddress for an erased person."""
    address = normalise_email(email)
    if erasures.is_erased(address):
        raise ErasedAddress("this address was erased on the customer's request; it is not used again unless "
                            "they ask to come back (flask forget-erasure)")
    contact = db.session.scalar(select(Contact).where(Contact.email == address))
    if contact is None:
        contact = Contact(email=address, name="", attributes={}, created_at=now)
        db.session.add(contact)
    return contact


def personal_invitation(survey: Survey, email: str, *, now: datetime) -> Invitation:
    """The contact's latest invitation to this survey, or a new one."""
    contact = contact_for(email, now=now)
    db.session.flush()
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.survey_id == survey.id, Invitation.contact_id == contact.id)
        .order_by(Invitation.id.desc()).limit(1)
    )
    if invitation is None:
        invitation = Invitation(token=new_token(), survey_id=survey.id, contact_id=contact.id, created_at=now)
        db.session.add(invitation)
    db.session.commit()
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    if not token or len(token) > 64:
        return None
    # An erased contact's invitations are kept for the figures with a token nobody has; never a link anyway.
    return db.session.scalar(select(Invitation).where(Invitation.token == token, Invitation.contact_id.is_not(None)))


def mark_opened(invitation: Invitation, *, now: datetime) -> None:
    """The customer started answering (submitted or saved). Deliberately not set by opening the link:
    mail scanners open every link, and a GET must change nothing."""
    if invitation.opened_at is None:
        invitation.opened_at = now
        db.session.commit()


def invited_respondent(invitation: Invitation) -> Respondent:
    contact = invitation.contact
    assert contact is not None, "invitation_by_token finds only invitations that still have their contact"
    return Respondent(key=invitation.respondent_key, source="link", invitation_id=invitation.id,
                      contact_id=invitation.contact_id, attributes=dict(contact.attributes or {}),
                      contact=contact_values(contact))


def public_respondent(submission_key: str) -> Respondent:
    """Whoever sends this form from the public link. Each sent form is its own response (a public link
    knows no one, and a shared device has many people): sending the same form again (a double click, Back
    then Send) is the same respondent and is stored once, and no form can reach an earlier response."""
    return Respondent(key=form_respondent_key(submission_key), source="public")
