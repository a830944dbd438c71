"""Pages for everyone: the home page, the complaint form, and what we changed because of customers'
feedback (page and Atom feed). The changes page and feed are cacheable: an ETag and Last-Modified that
change whenever a published entry does, with `no-cache` so every cache revalidates and a retracted entry
never lingers."""
from __future__ import annotations

import re
from collections import OrderedDict
from datetime import datetime

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext

from survey import changes as changelog
from survey import followups
from survey.clock import utcnow
from survey.extensions import csrf
from survey.links import external_url
from survey.tokens import new_token
from survey.views.forms import ComplaintForm

bp = Blueprint("public", __name__)


SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@bp.route("/complain", methods=["GET", "POST"])
@csrf.exempt  # from the global check only: the form checks its own token, so a stale one keeps the message
def complain():
    """Make it easy to complain: no login, no JavaScript, no third-party captcha (a honeypot field and a
    per-sender limit counted in the database instead). A refused send never loses the message: the form
    comes back with everything typed in it."""
    form = ComplaintForm()
    if not SUBMISSION_KEY.match(form.submission_key.data or ""):
        form.submission_key.data = new_token()
    data = followups.ComplaintInput(form.kind.data or "", form.message.data or "", form.name.data or "",
                                    form.email.data or "", form.phone.data or "")
    notice, status = None, 200
    if form.validate_on_submit():
        if form.website.data:  # only bots fill in the hidden field: drop it, say nothing
            return redirect(url_for(".complaint_received"), code=303)
        sent, notice, status = _send(form, data)
        if sent:
            return redirect(url_for(".complaint_received"), code=303)
    elif form.is_submitted():
        notice, status = _not_sent(form, data)
    if form.errors and status == 200:
        status = 422
    return render_template("public/complain.html", form=form, notice=notice), status


def _send(form: ComplaintForm, data) -> tuple[bool, str | None, int]:
    """Record the complaint; if it is refused, what to say and the status (the form keeps every word)."""
    try:
        case = followups.record_complaint(data, sender=request.remote_addr or "", now=utcnow(),
                                          submission_key=form.submission_key.data)
    except followups.TooManyComplaints:
        return False, gettext("We have had several messages from your connection in the last few minutes. Your "
                              "message is still below: please send it again in ten minutes."), 429
    except followups.CaseError as error:
        for name, message in error.problems.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        return False, None, 200
    session["complaint"] = {"due": case.due_at.isoformat(), "reply": bool(data.email or data.phone)}
    return True, None, 200


def _not_sent(form: ComplaintForm, data) -> tuple[str | None, int]:
    """A send the form itself refused: every problem named at once, and an expired page said so."""
    notice, status = None, 200
    if "csrf_token" in form.errors:
        # The page sat open past its security token (or the session was lost): keep every word.
        notice, status = gettext("Your page timed out for security reasons. Your message is still below: please "
                                 "send it again."), 400
        form.csrf_token.errors = []
    # The form's own checks stop before ours: say everything now, not one problem per send.
    for name, message in followups.complaint_problems(data).items():
        field = getattr(form, name)
        field.errors = list(field.errors) or [message]
    return notice, status


@bp.route("/complain/received")
def complaint_received():
    received = session.get("complaint") or {}
    due = datetime.fromisoformat(received["due"]) if received.get("due") else None
    return render_template("public/complain_received.html", due=due, reply=received.get("reply", False))


@bp.route("/")
def home():
    return render_template("public/home.html", organisation=current_app.config["ORGANISATION_NAME"])


# Rendered pages by ETag, per application and process: the ETag changes whenever anything shown does, so
# a hit is exactly what a fresh render would produce, and a page costs its ETag queries until data changes.
RENDERED_KEPT = 64


def _cached(render, resource: str, mimetype: str, *, now) -> Response:
    """`resource` names what `render` renders: pages are kept by their ETag, so no two may share one."""
    etag, last_modified = changelog.public_version(resource, now=now)
    response = Response(mimetype=mimetype)
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = "public, no-cache"
    if request.if_none_match.contains(etag):
        response.status_code = 304
        return response
    rendered = current_app.extensions.setdefault("hearken_rendered_pages", OrderedDict())
    body = rendered.get(etag)
    if body is None:
        body = rendered[etag] = render().encode()
        while len(rendered) > RENDERED_KEPT:
            rendered.popitem(last=False)
    response.set_data(body)
    return response


@bp.route("/changes")
def changes():
    category = request.args.get("category", "").strip()[:80] or None
    now = utcnow()

    def render():
        return render_template(
            "public/changes.html", organisation=current_app.config["ORGANISATION_NAME"],
            entries=changelog.public_changes(category=category, now=now), categories=changelog.categories(),
            category=category, last_quarter=changelog.done_in_last_quarter(now),
            page_url=external_url("public.changes"), feed_url=external_url("public.changes_feed"))
    return _cached(render, f"changes?category={category or ''}", "text/html", now=now)


@bp.route("/changes.atom")
def changes_feed():
    now = utcnow()

    def render():
        entries = changelog.public_changes(category=None, now=now, limit=50)
        return render_template("public/changes.atom.xml", entries=entries,
                               organisation=current_app.config["ORGANISATION_NAME"],
                               page_url=external_url("public.changes"), feed_url=external_url("public.changes_feed"),
                               updated=max((e.updated_at for e in entries), default=now))
    return _cached(render, "changes.atom", "application/atom+xml", now=now)
