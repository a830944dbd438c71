"""Manager pages for contacts: the list, CSV import, a contact's profile, and erasure on request.

The section's declared access (survey.views.manage.blueprint): every page needs a login, anyone logged in
may look, and every POST — importing, erasing — needs the editor role (admins have it too).
Erasure is an editor's job, like importing: it is what the person who keeps the contact list does when a
customer asks; requiring admin would leave requests waiting. The audit log records who did it.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from survey.clock import utcnow
from survey.outreach import contacts
from survey.views.forms import ContactsImportForm, EraseForm
from survey.views.manage.blueprint import form_page, section, unscoped_only
from survey.wording import plural

bp = section("contacts", __name__, read="agent", change="editor", url_prefix="/contacts",
             scoped="all")

PER_PAGE = 50
MAX_PAGE = 100_000  # 5 million contacts


@bp.route("/")
def index():
    query = request.args.get("q", "").strip()[:200]
    # Bounded: a 40-digit page number overflowed the database's OFFSET.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    return render_template("manage/contacts/index.html", query=query,
                           contacts=contacts.find_contacts(query, page=page, per_page=PER_PAGE))


@bp.route("/import", methods=["GET", "POST"])
@form_page
@unscoped_only
def import_contacts():
    form = ContactsImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        # The file name is only tested, never shown back: it is whatever the uploader chose to send.
        if not (upload.filename or "").lower().endswith(".csv"):
            form.file.errors = ["Choose a .csv file (export it from your spreadsheet as CSV UTF-8)."]
        else:
            report = contacts.import_contacts(upload.stream, now=utcnow(), actor=f"user:{current_user.id}",
                                              actor_id=current_user.id)
    status = 422 if form.errors or (report and not report.ok) else 200
    return render_template("manage/contacts/import.html", form=form, report=report), status


@bp.route("/<int:contact_id>")
def profile(contact_id: int):
    found = contacts.contact_profile(contact_id) or abort(404)
    return render_template("manage/contacts/profile.html", profile=found, erase=EraseForm())


@bp.route("/<int:contact_id>/erase", methods=["POST"])
def erase(contact_id: int):
    found = contacts.contact_profile(contact_id) or abort(404)
    form = EraseForm()
    # Typing the address (not ticking a box) makes erasing the wrong contact from a stale tab unlikely.
    if not form.validate_on_submit() or form.confirm.data.strip().lower() != found.contact.email:
        form.confirm.errors = ["Type this contact's email address exactly to confirm the erasure; "
                               "nothing was erased."]
        return render_template("manage/contacts/profile.html", profile=found, erase=form), 422
    count = contacts.erase_contact(found.contact, actor=f"user:{current_user.id}", actor_id=current_user.id,
                                   now=utcnow())
    flash(f"Contact erased; {plural(count, 'response')} kept, anonymised.")
    return redirect(url_for(".index"))
