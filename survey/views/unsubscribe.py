"""Unsubscribing from the link in every email. A GET only shows the button (mail scanners open every
link); the POST unsubscribes. Mail clients' one-click unsubscribe (RFC 8058) POSTs to the same address
without a session, so the unguessable token is the credential and the CSRF check does not apply."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from survey import outreach
from survey.clock import utcnow
from survey.extensions import csrf

bp = Blueprint("outreach", __name__)
csrf.exempt(bp)


@bp.after_request
def keep_private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    contact = outreach.contact_by_unsubscribe_token(token)
    if contact is None:
        abort(404)
    done = contact.unsubscribed_at is not None
    if request.method == "POST":
        outreach.unsubscribe(contact, now=utcnow())
        done = True
    return render_template("public/unsubscribe.html", done=done,
                           organisation=current_app.config["ORGANISATION_NAME"])
