"""Webhook endpoints, for admins: register, see each endpoint's delivery history, ping, rotate the secret,
disable, delete, redeliver what failed. Admins only (the section's declared
access); CSRFProtect checks every POST.

A secret is shown in the response to the POST that created or rotated it, never stored in the session
(the session cookie is signed, not encrypted) and never shown again.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from survey import webhooks
from survey.clock import utcnow
from survey.extensions import db
from survey.models import WebhookDelivery, WebhookEndpoint
from survey.views.forms import ActionForm, WebhookEndpointForm
from survey.views.manage.blueprint import form_page, section
from survey.views.manage.confirming import confirmation, confirmed
from survey.webhooks.addresses import parse_allowed_hosts

bp = section("webhooks", __name__, read="admin", url_prefix="/webhooks")




def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    return db.session.get(WebhookEndpoint, endpoint_id) or abort(404)


def _form(endpoint: WebhookEndpoint | None = None, **kwargs) -> WebhookEndpointForm:
    form = WebhookEndpointForm(obj=endpoint, **kwargs)
    form.events.choices = [SelectChoice(event, f"{event} — {label}") for event, label in webhooks.EVENT_LABELS.items()]
    form.signature_scheme.choices = [SelectChoice(scheme, label) for scheme, label in webhooks.SCHEME_LABELS.items()]
    return form


def _input(form: WebhookEndpointForm) -> webhooks.EndpointInput:
    return webhooks.EndpointInput(form.url.data or "", form.description.data or "", tuple(form.events.data or ()),
                                  form.signature_scheme.data or "")


def _allowed_hosts() -> tuple[str, ...]:
    return parse_allowed_hosts(current_app.config["WEBHOOK_ALLOWED_HOSTS"])


def _show_problems(form: WebhookEndpointForm, error: webhooks.WebhookError) -> None:
    for name, message in error.problems.items():
        field = getattr(form, name, form.url)
        field.errors = [*field.errors, message]


def _secret_page(endpoint: WebhookEndpoint, secret: str, *, rotated: bool):
    return render_template("manage/webhooks/secret.html", endpoint=endpoint, secret=secret, rotated=rotated,
                           overlap_hours=int(webhooks.ROTATION_OVERLAP.total_seconds() // 3600),
                           tolerance=webhooks.SIGNATURE_TOLERANCE)


@bp.route("/", methods=["GET", "POST"])
def index():
    form = _form()
    if form.validate_on_submit():
        try:
            endpoint = webhooks.create_endpoint(_input(form), allowed_hosts=_allowed_hosts(),
                                                actor_id=current_user.id, now=utcnow())
        except webhooks.WebhookError as error:
            _show_problems(form, error)
        else:
            return _secret_page(endpoint, endpoint.secret, rotated=False)
    return render_template("manage/webhooks/index.html", form=form, summaries=webhooks.endpoint_summaries(),
                           allowed_hosts=_allowed_hosts(), action=ActionForm()), 422 if form.errors else 200


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
def endpoint_detail(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    form = _form(endpoint)
    if form.validate_on_submit():
        try:
            webhooks.update_endpoint(endpoint, _input(form), allowed_hosts=_allowed_hosts(), now=utcnow())
        except webhooks.WebhookError as error:
            _show_problems(form, error)
        else:
            flash("Endpoint saved.")
            return redirect(url_for(".endpoint_detail", endpoint_id=endpoint.id))
    return render_template("manage/webhooks/detail.html", endpoint=endpoint, form=form, action=ActionForm(),
                           deliveries=webhooks.recent_deliveries(endpoint), allowed_hosts=_allowed_hosts(),
                           legacy_secret=webhooks.secret_key(endpoint.secret) is None,
                           now=utcnow()), 422 if form.errors else 200


@bp.route("/<int:endpoint_id>/ping", methods=["POST"])
def ping(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    webhooks.send_ping(endpoint, now=utcnow())
    flash("A ping is queued; the dispatcher sends it within seconds. Reload this page to see how it went.")
    return redirect(url_for(".endpoint_detail", endpoint_id=endpoint.id))


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
def rotate(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    secret = webhooks.rotate_secret(endpoint, now=utcnow())
    return _secret_page(endpoint, secret, rotated=True)


@bp.route("/<int:endpoint_id>/<any(enable, disable):action>", methods=["POST"])
def set_active(endpoint_id: int, action: str):
    endpoint = _endpoint(endpoint_id)
    webhooks.set_active(endpoint, action == "enable", now=utcnow())
    flash("Endpoint enabled." if endpoint.active else "Endpoint disabled: it gets no new deliveries.")
    return redirect(url_for(".endpoint_detail", endpoint_id=endpoint.id))


@bp.route("/<int:endpoint_id>/delete", methods=["GET", "POST"])
@form_page
def delete(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if not confirmed():
        return confirmation(
            title=f"Delete the endpoint {endpoint.url}?",
            consequences=[f"{endpoint.url} gets no more deliveries, including those waiting for a retry.",
                          "Its delivery history and its secret are deleted; this cannot be undone.",
                          "To stop deliveries for a while instead, disable the endpoint."],
            button="Delete endpoint and history", back=url_for(".endpoint_detail", endpoint_id=endpoint.id))
    url = endpoint.url
    webhooks.delete_endpoint(endpoint, now=utcnow())
    flash(f"Deleted the endpoint {url} and its delivery history.")
    return redirect(url_for(".index"))


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
def redeliver(endpoint_id: int, delivery_id: int):
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        abort(404)
    try:
        webhooks.redeliver(delivery, now=utcnow())
    except webhooks.WebhookError as error:
        flash(str(error), "error")
    else:
        flash("Queued again with the same delivery id; the dispatcher sends it within seconds.")
    return redirect(url_for(".endpoint_detail", endpoint_id=endpoint_id))
