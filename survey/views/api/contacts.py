"""Contacts: bulk upsert (as the CSV import does), read, and erasure on a customer's request."""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from survey.addresses import InvalidAddress, normalise_email
from survey.clock import utcnow
from survey.database import keyset
from survey.extensions import db
from survey.models import Contact
from survey.outreach import contacts
from survey.transfer.exports import iso
from survey.views.api.parameters import PAGE_PARAMS, cursor, page_body
from survey.views.api.registry import ID, ApiError, Param, body, operation
from survey.views.api.schemas import ref

TAG = "Contacts"
NOT_FOUND = {404: ("No contact with that id", ref("Error"))}


def contact_body(contact: Contact) -> dict:
    return {"id": contact.id, "email": contact.email, "name": contact.name or "",
            "attributes": dict(contact.attributes or {}), "created_at": iso(contact.created_at),
            "unsubscribed": contact.unsubscribed_at is not None}


def _contact_or_404(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise ApiError(404, "not_found", f"no contact with the id {contact_id}", "contact_id")
    return contact


@operation("/contacts", "POST", role="editor", summary="Create or update contacts (bulk)", tag="Contacts",
           body=ref("ContactsUpsert"),
           description="Matched on email without regard to case. An existing contact gets the given name (when "
                       "one is given) and the attributes merged over theirs. All or nothing: one bad item and "
                       "nothing is written; `field` names it (`contacts[3].email`). An address erased on a "
                       "customer's request is skipped, and only counted (`skipped_erased`).",
           responses={200: ("What was created and updated", ref("UpsertResult")),
                      409: ("Someone else added one of these addresses meanwhile: send it again", ref("Error"))})
def upsert_contacts():
    items = body()["contacts"]
    rows, seen = [], {}
    for i, item in enumerate(items):
        try:
            email = normalise_email(item["email"])
        except InvalidAddress as error:
            raise ApiError(422, "invalid", str(error), f"contacts[{i}].email") from None
        if email in seen:
            raise ApiError(422, "invalid", f"{email} is also contacts[{seen[email]}]", f"contacts[{i}].email")
        seen[email] = i
        name = " ".join(item["name"].split()) if "name" in item else None  # one line: names go in email headers
        try:
            attributes = contacts.named_attributes(item.get("attributes", {}))
        except ValueError as error:
            raise ApiError(422, "invalid", str(error), f"contacts[{i}].attributes") from None
        rows.append(contacts.ParsedRow(i, email, name, attributes))
    report = contacts.upsert_contacts(rows, now=utcnow(), actor=f"api:{g.api_token.name}")
    if report.file_error:
        raise ApiError(409, "conflict", report.file_error)
    return jsonify({"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                    "skipped_erased": report.skipped_erased})


@operation("/contacts", "GET", role="agent", summary="List contacts, or find one by email", tag=TAG,
           params=(Param("email", {"type": "string", "maxLength": 320}, "only the contact with this address"),
                   *PAGE_PARAMS),
           responses={200: ("A page of contacts, by id", ref("ContactPage"))}, scoped=True)
def list_contacts():
    query = select(Contact)
    if "email" in request.args:
        found = contacts.find_contact(request.args["email"])
        query = query.where(Contact.id == (found.id if found else None))
    after, limit = cursor()
    return jsonify(page_body(keyset(query, Contact.id, after=after, limit=limit), contact_body))


@operation(f"/contacts/<{ID}:contact_id>", "GET", role="agent", summary="Read a contact", tag=TAG,
           responses={200: ("The contact", ref("Contact")), **NOT_FOUND}, scoped=True)
def read_contact(contact_id: int):
    return jsonify(contact_body(_contact_or_404(contact_id)))


@operation(f"/contacts/<{ID}:contact_id>", "DELETE", role="editor", summary="Erase a contact's personal data", tag=TAG,
           description="On the customer's request: their personal data goes, their answers stay, anonymised "
                       "(see the user guide). Cannot be undone.",
           responses={200: ("Erased", ref("Erased")), **NOT_FOUND}, scoped=True)
def erase_contact(contact_id: int):
    contact = _contact_or_404(contact_id)
    kept = contacts.erase_contact(contact, actor=f"api:{g.api_token.name}", actor_id=None, now=utcnow())
    return jsonify({"erased": True, "responses_kept": kept})
