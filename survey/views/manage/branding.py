"""The organisation's brand, for admins: the accent colour and the logo that customer pages and emails
show, with a preview of a survey page's header and of an email (survey/brand.py holds the rules)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from survey import brand, mail
from survey.clock import utcnow
from survey.models import SurveyVersion
from survey.views.forms import BrandingForm
from survey.views.manage.blueprint import section

bp = section("branding", __name__, read="admin", url_prefix="/branding")

# The email preview is the email's own HTML, which styles itself inline: shown in a sandboxed frame under a
# policy of its own, that allows its inline styles and the logo from Hearken's public address, nothing else.
EMAIL_PREVIEW_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'{origin}; "
                        "frame-ancestors 'self'; sandbox")


def _page(form: BrandingForm, status: int = 200):
    return render_template("manage/branding.html", form=form, current=brand.current(),
                           reasons=("campaign", "event", "link")), status


@bp.route("/")
def index():
    return _page(BrandingForm(data={"accent_colour": brand.current().accent or ""}))


@bp.route("/", methods=["POST"])
def save():
    form = BrandingForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    upload = form.logo.data
    # One byte past the limit is enough to refuse it (by name and size), without reading more.
    logo = upload.stream.read(brand.MAX_LOGO_BYTES + 1) if upload and upload.filename else None
    try:
        brand.save(form.accent_colour.data, logo, remove_logo=form.remove_logo.data, actor_id=current_user.id,
                   now=utcnow())
    except brand.BrandError as error:
        for name, message in error.problems.items():
            field = form[name]
            field.errors = [*field.errors, message]
        return _page(form, status=422)
    flash("Saved: customer pages show the brand now, and every email queued from now on.")
    return redirect(url_for(".index"), code=303)


def _sample_version() -> SurveyVersion:
    """A survey that is never saved, for the email preview."""
    return SurveyVersion(title="How did we do?", intro="Two minutes, a few questions.", questions=[])


@bp.route("/email-preview.html")
def email_preview_html():
    addressee = mail.Addressee("Alex Example", "customer@example.com", "example-unsubscribe-token")
    html = mail.invitation_email(_sample_version(), "example-personal-link", addressee, reason="campaign").html
    base = urlsplit(current_app.config["BASE_URL"])
    origin = f" {base.scheme}://{base.netloc}" if base.scheme in ("http", "https") and base.netloc.isascii() \
        and all(c.isalnum() or c in ".-:[]" for c in base.netloc) else ""
    return Response(html, mimetype="text/html",
                    headers={"Content-Security-Policy": EMAIL_PREVIEW_POLICY.format(origin=origin),
                             "X-Frame-Options": "SAMEORIGIN"})
